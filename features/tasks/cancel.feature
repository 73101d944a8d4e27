Feature: CancelTask
  CancelTask stops a Waiting or Processing export; a task that has ended cannot be cancelled.

  Background:
    Given an export request for image "custom" to bucket "home"

  @core @costly @EI-P6
  Scenario: a waiting export can be cancelled and ends
    When I export the image
    Then the export is accepted
    When I cancel the task
    Then the request succeeds
    And the task ends within 10 minutes

  @assumption @costly @EI-P6
  Scenario: a cancelled export is Deleted and leaves no object
    When I export the image
    Then the export is accepted
    When I cancel the task
    Then the request succeeds
    And the task ends within 10 minutes
    And the task is "Deleted"
    And the task is listed as "Deleted"

  @core @costly @EI-P6 @EI-R16
  Scenario: a cancelled export frees the image
    When I export the image
    Then the export is accepted
    When I cancel the task
    Then the request succeeds
    And the task ends within 10 minutes
    When I export the image
    Then the export is accepted

  @core @costly @EI-P6 @CO-E02
  Scenario: a finished task cannot be cancelled
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    And I cancel the task
    Then the request is refused with 403 InvalidTaskId.IncorrectTaskStatus (CO-E02)

  @core @EI-P6 @CO-E01
  Scenario: an unknown task cannot be cancelled
    When I call "CancelTask" with:
      | RegionId | {region:home}         |
      | TaskId   | t-eic-no-such-task-01 |
    Then the request is refused with 400 InvalidTaskId.NotFound (CO-E01)

  @core @EI-P6 @CO-E03
  Scenario: a task of another action cannot be cancelled
    When I call "CancelTask" with:
      | RegionId | {region:home}        |
      | TaskId   | {task:other-action}  |
    Then the request is refused with 403 InvalidTaskId.TaskActionNotSupport (CO-E03)
