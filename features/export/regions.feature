Feature: RegionId
  RegionId names an existing region that supports image export.

  @core @EI-R4 @EI-E06
  Scenario: an unknown region is refused
    Given an export request for image "custom" to bucket "home"
    And the parameter "RegionId" is "{region:unknown}"
    When I export the image
    Then the request is refused with 400 InvalidRegionId.NotFound (EI-E06)

  @core @EI-R4 @EI-E07
  Scenario: a region without image export is refused
    Given an export request for image "custom" to bucket "home"
    And the parameter "RegionId" is "{region:no-export}"
    When I export the image
    Then the request is refused with 400 InvalidRegion.NotSupport (EI-E07)

  @assumption @EI-R4 @EI-E06
  Scenario: region comes before the image when both are wrong
    Given an export request for image "missing" to bucket "home"
    And the parameter "RegionId" is "{region:unknown}"
    When I export the image
    Then the request is refused with 400 InvalidRegionId.NotFound (EI-E06)
