Feature: ExportImage request parameters
  RegionId, ImageId and OSSBucket are required; OSSPrefix, when given, is 1–30 ASCII letters
  or digits. Refusals are checked without DryRun (the seed does not list it); acceptance is
  shown with DryRun=true, and an endpoint that ignores DryRun may answer with a task instead,
  which the suite cancels at once and lists in the report.

  Background:
    Given an export request for image "custom" to bucket "home"

  @core @EI-R1
  Scenario Outline: a missing required parameter is refused and named
    Given the parameter "<parameter>" is absent
    When I export the image
    Then the request is refused with error "<error>"

    @EI-E01
    Examples: RegionId
      | parameter | error  |
      | RegionId  | EI-E01 |

    @EI-E02
    Examples: ImageId
      | parameter | error  |
      | ImageId   | EI-E02 |

    @EI-E03
    Examples: OSSBucket
      | parameter | error  |
      | OSSBucket | EI-E03 |

  @assumption @EI-R1
  Scenario Outline: an empty required parameter counts as missing
    Given the parameter "<parameter>" is empty
    When I export the image
    Then the request is refused with error "<error>"

    Examples:
      | parameter | error  |
      | RegionId  | EI-E01 |
      | ImageId   | EI-E02 |
      | OSSBucket | EI-E03 |

  @assumption @EI-R1
  Scenario: with every required parameter missing, RegionId is named first
    Given the parameter "RegionId" is absent
    And the parameter "ImageId" is absent
    And the parameter "OSSBucket" is absent
    When I export the image
    Then the request is refused with 400 MissingParameter (EI-E01)

  @core @EI-R2 @EI-E05
  Scenario Outline: a malformed OSSPrefix is refused
    Given the parameter "OSSPrefix" is "<prefix>"
    When I export the image
    Then the request is refused with 400 InvalidOSSPrefix.Malformed (EI-E05)

    Examples:
      | prefix                          | what                    |
      | abcdefghijklmnopqrstuvwxyz01234 | 31 characters           |
      | Ecs-Export                      | hyphen                  |
      | Ecs_Export                      | underscore              |
      | Ecs/Export                      | slash                   |
      | Ecs Export                      | space                   |
      | Exporté                         | non-ASCII letter        |
      | 导出                              | Chinese characters      |
      | Ecs.Export                      | dot                     |

  @core @EI-R2 @EI-E05
  Scenario: an OSSPrefix of 100 characters is refused
    Given the parameter "OSSPrefix" is "A" repeated 100 times
    When I export the image
    Then the request is refused with 400 InvalidOSSPrefix.Malformed (EI-E05)

  @assumption @EI-R2 @EI-E05
  Scenario: an empty OSSPrefix that is present is malformed
    Given the parameter "OSSPrefix" is empty
    When I export the image
    Then the request is refused with 400 InvalidOSSPrefix.Malformed (EI-E05)

  @core @EI-R2 @ACS-E14
  Scenario Outline: an OSSPrefix of 1 to 30 letters and digits is accepted
    Given the parameter "DryRun" is "true"
    And the parameter "OSSPrefix" is "<prefix>"
    When I export the image
    Then the request passes validation

    Examples:
      | prefix                         | what          |
      | E                              | 1 character   |
      | 7                              | 1 digit       |
      | abcdefghijklmnopqrstuvwxyz0123 | 30 characters |
      | EcsExport2024                  | mixed         |

  @core @EI-R2 @ACS-E14
  Scenario: OSSPrefix is optional
    Given the parameter "DryRun" is "true"
    And the parameter "OSSPrefix" is absent
    When I export the image
    Then the request passes validation
