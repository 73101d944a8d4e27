Feature: export quotas and one export per image
  An image already being exported cannot be exported again until its task ends; in-flight
  exports per account are capped, and so are submissions per week. A task that ends frees
  its concurrent slot.

  @core @costly @EI-R16 @EI-E12
  Scenario: an image already being exported is refused
    Given an export request for image "custom" to bucket "home"
    When I export the image
    Then the export is accepted
    When I export the image
    Then the request is refused with 403 ImageIsExporting (EI-E12)

  @core @costly @EI-R16
  Scenario: an image can be exported again once its task has ended
    Given an export request for image "custom" to bucket "home"
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    And I export the image
    Then the export is accepted

  @core @reference @costly @EI-R17 @EI-E22
  Scenario: the concurrent quota refuses one export too many, and a finished task frees it
    Given the export quota of account "main" in region "formats" is 1 concurrent and 100 weekly
    And an export request for image "formats-custom" to bucket "formats"
    When I export the image
    Then the export is accepted
    Given an export request for image "datadisks4" to bucket "formats"
    When I export the image
    Then the request is refused with 403 ConcurrentQuotaExceed.ExportImage (EI-E22)
    When I wait for the task to be "Finished"
    And an export request for image "datadisks4" to bucket "formats"
    And I export the image
    Then the export is accepted

  @core @reference @costly @EI-R17 @EI-E22
  Scenario: a cancelled task frees its concurrent slot
    Given the export quota of account "main" in region "formats" is 1 concurrent and 100 weekly
    And an export request for image "formats-custom" to bucket "formats"
    When I export the image
    Then the export is accepted
    When I cancel the task
    Then the request succeeds
    Given an export request for image "datadisks4" to bucket "formats"
    When I export the image
    Then the export is accepted

  @core @reference @costly @EI-R17 @EI-E23
  Scenario: the weekly quota counts submissions, finished or not
    Given the export quota of account "main" in region "formats" is 5 concurrent and 1 weekly
    And an export request for image "formats-custom" to bucket "formats"
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    And I export the image
    Then the request is refused with 403 WeeklyQuotaExceed.ExportImage (EI-E23)

  @assumption @reference @costly @EI-R17
  Scenario: the weekly quota is a rolling window of 7 days
    Given the export quota of account "main" in region "formats" is 5 concurrent and 1 weekly
    And an export request for image "formats-custom" to bucket "formats"
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    And 8 days pass
    And I export the image
    Then the export is accepted

  @assumption @reference @EI-R17 @EI-P5 @ACS-E14
  Scenario: DryRun uses no quota
    Given the export quota of account "main" in region "formats" is 1 concurrent and 1 weekly
    And an export request for image "formats-custom" to bucket "formats"
    And the parameter "DryRun" is "true"
    When I export the image
    Then the request passes validation
    When I export the image
    Then the request passes validation
    Given the parameter "DryRun" is absent
    When I export the image
    Then the export is accepted
