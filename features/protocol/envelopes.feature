Feature: response envelopes and the gateway
  Success and error bodies come in JSON (default) or XML (Format=XML); every response has a
  RequestId; errors carry RequestId, HostId, Code, Message and Recommend.

  Background:
    Given an export request for image "custom" to bucket "home"

  @core @EI-P4 @ACS-E14
  Scenario: errors are JSON by default for the SDK
    Given the parameter "DryRun" is "true"
    When I export the image
    Then the request passes validation
    And the response is "JSON"

  @core @EI-P4 @EI-E08
  Scenario Outline: errors come in the format asked for
    Given I sign requests with "<version>"
    And I ask for "<format>" responses
    And the parameter "ImageId" is "{image:missing}"
    When I export the image
    Then the request is refused with 404 InvalidImageId.NotFound (EI-E08)
    And the response is "<format>"

    Examples:
      | version | format |
      | v3      | JSON   |
      | v3      | XML    |
      | v1      | JSON   |
      | v1      | XML    |

  @core @costly @EI-P4 @EI-R18
  Scenario: a success in XML names the task TaskId
    Given I ask for "XML" responses
    When I export the image
    Then the export is accepted
    And the response is "XML"
    And the response has no field "ExportTaskId"

  @core @costly @EI-P4 @EI-P6
  Scenario: DescribeTasks in XML
    When I export the image
    Then the export is accepted
    Given I ask for "XML" responses
    Then the task is listed as "Waiting" or "Processing"

  @assumption @EI-P4 @EI-E16
  Scenario: the error envelope has HostId and Recommend
    Given the parameter "OSSBucket" is "{bucket:missing}"
    When I export the image
    Then the request is refused with 400 InvalidOSSBucket.NotFound (EI-E16)
    And the error envelope is complete

  @core @EI-P4 @ACS-E10
  Scenario: an unknown action is refused
    When I call "ExportImages"
    Then the request is refused with 404 InvalidAction.NotFound (ACS-E10)

  @core @EI-P4 @ACS-E11
  Scenario Outline: another API version is refused
    Given I sign requests with "<version>"
    And the API version is "2016-04-28"
    When I export the image
    Then the request is refused with 400 InvalidVersion (ACS-E11)

    Examples:
      | version |
      | v3      |
      | v1      |

  @assumption @EI-P4 @ACS-E12
  Scenario: an HTTP method other than GET or POST is refused
    Given the HTTP method is "PUT"
    When I export the image
    Then the request is refused with 403 UnsupportedHTTPMethod (ACS-E12)

  @core @EI-P4 @ACS-E14
  Scenario: GET is accepted like POST
    Given the HTTP method is "GET"
    And the parameter "DryRun" is "true"
    When I export the image
    Then the request passes validation

  @assumption @EI-P4 @ACS-E20
  Scenario: a parameter of the wrong type is refused naming it
    Given the parameter "DryRun" is "maybe"
    When I export the image
    Then the request is refused with 400 InvalidParameter (ACS-E20)

  @core @reference @EI-P4 @ACS-E13
  Scenario: a throttled request answers Throttling.User
    Given the next request is throttled
    When I export the image
    Then the request is refused with 400 Throttling.User (ACS-E13)
