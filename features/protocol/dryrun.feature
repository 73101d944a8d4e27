Feature: DryRun
  DryRun=true on a valid request answers DryRunOperation (400) and changes nothing; on an
  invalid request it answers the error the request deserves.

  Background:
    Given an export request for image "custom" to bucket "home"

  @assumption @EI-P5 @ACS-E14
  Scenario: DryRun on a valid request creates no task
    Given I count the export tasks
    And the parameter "DryRun" is "true"
    When I export the image
    Then the request passes validation
    And the number of export tasks is unchanged

  @assumption @EI-P5 @EI-E05
  Scenario: DryRun on an invalid request answers its error
    Given the parameter "DryRun" is "true"
    And the parameter "OSSPrefix" is "not-valid"
    When I export the image
    Then the request is refused with 400 InvalidOSSPrefix.Malformed (EI-E05)

  @assumption @EI-P5 @EI-E15
  Scenario: DryRun checks the RAM role
    Given I am account "norole"
    And an export request for image "custom-norole" to bucket "home-norole"
    And the parameter "DryRun" is "true"
    When I export the image
    Then the request is refused with 403 NoSetRoletoECSServiceAcount (EI-E15)

  @assumption @costly @EI-P5 @EI-E12
  Scenario: DryRun sees an export in flight
    When I export the image
    Then the export is accepted
    Given the parameter "DryRun" is "true"
    When I export the image
    Then the request is refused with 403 ImageIsExporting (EI-E12)

  @assumption @EI-P5 @ACS-E14
  Scenario: DryRun=false is an ordinary request
    Given the parameter "DryRun" is "false"
    And the parameter "ImageId" is "{image:missing}"
    When I export the image
    Then the request is refused with 404 InvalidImageId.NotFound (EI-E08)
