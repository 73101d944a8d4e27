Feature: the export task
  A successful ExportImage returns RequestId, RegionId and TaskId (not ExportTaskId); the task
  is seen through DescribeTasks (TaskSet an object) and DescribeTaskAttribute, moves Waiting →
  Processing → Finished (right after submission it may be either), never loses progress, and
  names the objects it wrote.

  Background:
    Given an export request for image "custom" to bucket "home"

  @core @costly @EI-R18 @EI-P6
  Scenario: the response names the task TaskId
    When I export the image
    Then the export is accepted
    And the response field "RegionId" is "{imageregion:custom}"
    And the response has no field "ExportTaskId"

  @core @costly @EI-R18 @EI-P6 @EI-R19
  Scenario: an export runs to Finished and leaves its objects
    When I export the image
    Then the export is accepted
    And the task is listed as "Waiting" or "Processing"
    When I wait for the task to be "Finished"
    Then the task is listed as "Finished"
    And every object the task names starts with its OSSPrefix
    And the bucket holds the objects of the task
    And each exported object is a valid "raw" image of its source disk

  @core @costly @EI-P6
  Scenario: DescribeTaskAttribute describes the task
    When I export the image
    Then the export is accepted
    When I describe the task
    Then the request succeeds
    And the response field "TaskId" is "{task}"
    And the response field "TaskAction" is "ExportImage"
    And the response field "SupportCancel" is "true"

  @core @reference @costly @EI-R18 @EI-P6
  Scenario: an export that breaks ends Failed with an error code
    Given the next export of account "main" fails at 50 percent
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Failed"
    Then the task failed with an error code
    And the task is listed as "Failed"

  @core @EI-P6 @CO-E01
  Scenario: an unknown task is not found
    When I call "DescribeTaskAttribute" with:
      | RegionId | {region:home}         |
      | TaskId   | t-eic-no-such-task-01 |
    Then the request is refused with 400 InvalidTaskId.NotFound (CO-E01)

  @core @EI-P6
  Scenario: DescribeTasks answers TaskSet as an object even when empty
    When I call "DescribeTasks" with:
      | RegionId | {region:home}         |
      | TaskIds  | t-eic-no-such-task-01 |
    Then the request succeeds
    And the response field "TotalCount" is "0"
