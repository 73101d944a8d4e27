Feature: injected server faults
  Tools retry on InternalError (500) and ServiceUnavailable (503). A reference answers them only
  when a fault is injected through its control API (never for bad input): the next request, or
  the next N requests of one account, answer the error in the documented envelope; then service
  resumes.

  Background:
    Given an export request for image "custom" to bucket "home"
    And the parameter "DryRun" is "true"

  @core @reference @EI-P4 @ACS-E15
  Scenario: an injected internal error answers InternalError and a retry succeeds
    Given the next request fails with "internal-error"
    When I export the image
    Then the request is refused with 500 InternalError (ACS-E15)
    And the error envelope is complete
    When I export the image
    Then the request passes validation

  @core @reference @EI-P4 @ACS-E16
  Scenario: an injected outage answers ServiceUnavailable and a retry succeeds
    Given the next request fails with "unavailable"
    When I export the image
    Then the request is refused with 503 ServiceUnavailable (ACS-E16)
    And the error envelope is complete
    When I export the image
    Then the request passes validation

  @core @reference @EI-P4 @ACS-E16
  Scenario: an injected outage in XML keeps the XML error envelope
    Given I ask for "XML" responses
    And the next request fails with "unavailable"
    When I export the image
    Then the response is "XML"
    And the request is refused with 503 ServiceUnavailable (ACS-E16)
    And the error envelope is complete

  @core @reference @EI-P4 @ACS-E15
  Scenario: faults injected for one account answer only its requests, as many times as asked
    Given the next 2 requests of account "other" fail with "internal-error"
    When I export the image
    Then the request passes validation
    Given I am account "other"
    When I call "DescribeTasks" with:
      | RegionId | {region:home} |
    Then the request is refused with 500 InternalError (ACS-E15)
    When I call "DescribeTasks" with:
      | RegionId | {region:home} |
    Then the request is refused with 500 InternalError (ACS-E15)
    When I call "DescribeTasks" with:
      | RegionId | {region:home} |
    Then the request succeeds
