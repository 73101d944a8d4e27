Feature: signatures and replay protection
  V3 (ACS3-HMAC-SHA256 over the headers listed in SignedHeaders) and V1 (HMAC-SHA1 query
  signature) are both accepted; a wrong or missing signature, an unknown or disabled key, a
  replayed nonce and a request time outside 15 minutes are refused.

  Background:
    Given an export request for image "custom" to bucket "home"
    And the parameter "DryRun" is "true"

  @core @EI-P1 @ACS-E14
  Scenario: a V3 signed request is accepted
    Given I sign requests with "v3"
    When I export the image
    Then the request passes validation

  @core @EI-P2 @ACS-E14
  Scenario: a V1 signed request is accepted
    Given I sign requests with "v1"
    When I export the image
    Then the request passes validation

  @core @EI-P1 @ACS-E02
  Scenario: a wrong V3 signature is refused
    Given I sign requests with "v3"
    And the signature is computed with a wrong secret
    When I export the image
    Then the request is refused with 400 SignatureDoesNotMatch (ACS-E02)

  @core @EI-P2 @ACS-E03
  Scenario: a wrong V1 signature is refused
    Given I sign requests with "v1"
    And the signature is computed with a wrong secret
    When I export the image
    Then the request is refused with 400 SignatureDoesNotMatch (ACS-E03)

  @core @EI-P1 @ACS-E01
  Scenario: a V3 request without Authorization is refused
    Given I sign requests with "v3"
    And the request carries no signature
    When I export the image
    Then the request is refused with 400 IncompleteSignature (ACS-E01)

  @core @EI-P2 @ACS-E01
  Scenario: a V1 request without Signature is refused
    Given I sign requests with "v1"
    And the request carries no signature
    When I export the image
    Then the request is refused with 400 IncompleteSignature (ACS-E01)

  @core @EI-P1 @ACS-E04
  Scenario: an unknown access key is refused
    Given the access key is unknown
    When I export the image
    Then the request is refused with 404 InvalidAccessKeyId.NotFound (ACS-E04)

  @core @EI-P1 @ACS-E05
  Scenario: a disabled access key is refused
    Given I am account "disabled"
    When I export the image
    Then the request is refused with 400 InvalidAccessKeyId.Inactive (ACS-E05)

  @core @EI-P3 @ACS-E06
  Scenario Outline: a replayed nonce is refused
    Given I sign requests with "<version>"
    When I export the image
    Then the request passes validation
    When I replay the last request
    Then the request is refused with 400 SignatureNonceUsed (ACS-E06)

    Examples:
      | version |
      | v3      |
      | v1      |

  @core @EI-P3 @ACS-E07
  Scenario Outline: a request time more than 15 minutes away is refused
    Given I sign requests with "<version>"
    And the request time is 20 minutes in the "<direction>"
    When I export the image
    Then the request is refused with 400 InvalidTimeStamp.Expired (ACS-E07)

    Examples:
      | version | direction |
      | v3      | past      |
      | v1      | past      |
      | v3      | future    |

  @core @EI-P3 @ACS-E14
  Scenario: a request time 5 minutes away is accepted
    Given the request time is 5 minutes in the "past"
    When I export the image
    Then the request passes validation

  @core @EI-P3 @ACS-E08
  Scenario Outline: a malformed request time is refused
    Given I sign requests with "<version>"
    And the request time is malformed
    When I export the image
    Then the request is refused with 400 InvalidTimeStamp.Format (ACS-E08)

    Examples:
      | version |
      | v3      |
      | v1      |

  @core @EI-P2 @ACS-E09
  Scenario: a V1 request without Timestamp is refused naming it
    Given I sign requests with "v1"
    And the common parameter "Timestamp" is left out
    When I export the image
    Then the request is refused with 400 MissingParameter (ACS-E09)

  @core @EI-P8 @reference @ACS-E14
  Scenario: STS credentials are accepted
    Given I use STS credentials of account "main" valid for "1h"
    When I export the image
    Then the request passes validation

  @core @EI-P8 @reference @ACS-E17
  Scenario: an expired security token is refused
    Given I use STS credentials of account "main" valid for "10m"
    And 20 minutes pass
    When I export the image
    Then the request is refused with 400 InvalidSecurityToken.Expired (ACS-E17)

  @core @EI-P8 @reference @ACS-E18
  Scenario: a security token the endpoint never issued is refused
    Given I use STS credentials of account "main" valid for "1h"
    And the security token is "CAIS-eic-not-a-real-token"
    When I export the image
    Then the request is refused with 400 InvalidSecurityToken.Malformed (ACS-E18)

  @core @EI-P8 @reference @ACS-E19
  Scenario: a security token of another session is refused
    Given I use STS credentials of account "main" valid for "1h"
    And the security token comes from another STS session
    When I export the image
    Then the request is refused with 400 InvalidSecurityToken.MismatchWithAccessKey (ACS-E19)
