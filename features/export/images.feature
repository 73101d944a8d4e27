Feature: the source image
  ImageId is an available custom image of the calling account in that region; marketplace
  images, images made from marketplace instances and images with encrypted snapshots cannot
  be exported; the account must be allow-listed and the licence must permit export.

  @core @EI-R5 @EI-E08
  Scenario: an unknown image is refused
    Given an export request for image "missing" to bucket "home"
    When I export the image
    Then the request is refused with 404 InvalidImageId.NotFound (EI-E08)

  @core @EI-R5 @EI-P7 @EI-E08
  Scenario: another account's image is not found
    Given an export request for image "other-account" to bucket "home"
    When I export the image
    Then the request is refused with 404 InvalidImageId.NotFound (EI-E08)

  @core @EI-R5 @EI-E08
  Scenario: an image of the account in another region is not found there
    Given an export request for image "custom" to bucket "elsewhere"
    And the parameter "RegionId" is "{region:elsewhere}"
    When I export the image
    Then the request is refused with 404 InvalidImageId.NotFound (EI-E08)

  @core @EI-R5 @EI-E09
  Scenario: an image that is not available is refused
    Given an export request for image "creating" to bucket "home"
    When I export the image
    Then the request is refused with 400 IncorrectImageStatus (EI-E09)

  @core @EI-R6 @EI-E10
  Scenario: a marketplace image is refused (403)
    Given an export request for image "marketplace" to bucket "home"
    When I export the image
    Then the request is refused with 403 ImageNotSupported (EI-E10)

  # The current document dropped the 400 row and refuses marketplace images with 403
  # InvalidImageCategory.NotSupported (a known variant of EI-E10): either is right.
  @core @EI-R6 @EI-E20
  Scenario: an image made from an instance of a marketplace image is refused
    Given an export request for image "market-derived" to bucket "home"
    When I export the image
    Then the request is refused with 400 ImageNotSupported (EI-E20) or 403 ImageNotSupported (EI-E10)

  @assumption @EI-R6 @EI-E20
  Scenario: an image made from an instance of a marketplace image is refused with the seed's 400 row
    Given an export request for image "market-derived" to bucket "home"
    When I export the image
    Then the request is refused with 400 ImageNotSupported (EI-E20)

  @core @EI-R7 @EI-E19
  Scenario: an image with encrypted snapshots is refused
    Given an export request for image "encrypted" to bucket "home"
    When I export the image
    Then the request is refused with 400 ImageNotSupported (EI-E19)

  @core @EI-R15 @EI-E24
  Scenario: an image whose licence forbids export is refused
    Given an export request for image "licensed" to bucket "home"
    When I export the image
    Then the request is refused with 403 InvalidImageLicense.NotSupported (EI-E24)

  @core @EI-R15 @EI-E14
  Scenario: an account that is not allow-listed is refused
    Given I am account "nowhitelist"
    And an export request for image "custom-nowhitelist" to bucket "home-nowhitelist"
    When I export the image
    Then the request is refused with 403 UserNotInTheWhiteList (EI-E14)

  @assumption @EI-R5 @EI-E04
  Scenario: a source image whose stored name breaks the naming rule is refused
    Given an export request for image "badname" to bucket "home"
    When I export the image
    Then the request is refused with 400 InvalidImageName.Malformed (EI-E04)

  @assumption @EI-E13
  Scenario: an image whose snapshot cannot be read fails to export
    Given an export request for image "broken" to bucket "home"
    When I export the image
    Then the request is refused with 403 ExportImageFailed (EI-E13)

  @assumption @EI-R6 @EI-E10
  Scenario: the image check comes before the bucket check
    Given an export request for image "marketplace" to bucket "missing"
    When I export the image
    Then the request is refused with 403 ImageNotSupported (EI-E10)
