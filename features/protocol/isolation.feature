Feature: account isolation
  One account never sees or touches another account's images, tasks or buckets.

  @core @EI-P7 @EI-E08
  Scenario: another account's image is not found
    Given I am account "other"
    And an export request for image "custom" to bucket "other-account"
    When I export the image
    Then the request is refused with 404 InvalidImageId.NotFound (EI-E08)

  @core @EI-P7 @EI-E16
  Scenario: another account's bucket is not found
    Given an export request for image "custom" to bucket "other-account"
    When I export the image
    Then the request is refused with 400 InvalidOSSBucket.NotFound (EI-E16)

  @core @costly @EI-P7 @CO-E01
  Scenario: another account cannot see or cancel a task
    Given an export request for image "custom" to bucket "home"
    When I export the image
    Then the export is accepted
    Given I am account "other"
    When I describe the task
    Then the request is refused with 400 InvalidTaskId.NotFound (CO-E01)
    When I cancel the task
    Then the request is refused with 400 InvalidTaskId.NotFound (CO-E01)
    When I list the tasks
    Then the request succeeds
    And the response field "TotalCount" is "0"
    Given I am account "main"
    Then the task is "Waiting" or "Processing"
