Feature: the OSS bucket
  OSSBucket exists for the account and is in the same region as the image.

  @core @EI-R14 @EI-E16
  Scenario: a missing bucket is refused
    Given an export request for image "custom" to bucket "missing"
    When I export the image
    Then the request is refused with 400 InvalidOSSBucket.NotFound (EI-E16)

  # The seed's own NotFound message says "does not exist in this region": either code is right.
  @core @EI-R14 @EI-E21
  Scenario: a bucket in another region is refused
    Given an export request for image "custom" to bucket "elsewhere"
    When I export the image
    Then the request is refused with 400 InvalidOSSBucket.NotMatched (EI-E21) or 400 InvalidOSSBucket.NotFound (EI-E16)

  @assumption @EI-R14 @EI-E21
  Scenario: a bucket in another region is NotMatched, naming the regions
    Given an export request for image "custom" to bucket "elsewhere"
    When I export the image
    Then the request is refused with code "InvalidOSSBucket.NotMatched"

  # The current public document has 403 InvalidOSS.NotAuthorized (a known variant of EI-E16).
  @core @EI-R14 @EI-P7 @EI-E16
  Scenario: another account's bucket is refused
    Given an export request for image "custom" to bucket "other-account"
    When I export the image
    Then the request is refused with 400 InvalidOSSBucket.NotFound (EI-E16)

  @assumption @EI-R14 @EI-P7 @EI-E16
  Scenario: another account's bucket is not found
    Given an export request for image "custom" to bucket "other-account"
    When I export the image
    Then the request is refused with code "InvalidOSSBucket.NotFound"
