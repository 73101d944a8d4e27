Feature: the RAM role
  The export uses the role AliyunECSImageExportDefaultRole, which trusts ecs.aliyuncs.com and
  may read and write OSS. The seed called any other role name invalid; the current document no
  longer does, so only the default role's behaviour is @core.

  @core @EI-R11 @EI-R12 @EI-R13 @EI-E15
  Scenario Outline: an account whose role cannot export is refused
    Given I am account "<account>"
    And an export request for image "custom-<account>" to bucket "home-<account>"
    When I export the image
    Then the request is refused with 403 NoSetRoletoECSServiceAcount (EI-E15)

    @EI-R11
    Examples: the role is missing
      | account |
      | norole  |

    @EI-R12
    Examples: the role trusts another service
      | account  |
      | badtrust |

    @EI-R13
    Examples: the role lacks an OSS permission
      | account |
      | noperm  |

  @assumption @EI-R11 @EI-E15
  Scenario: a RoleName that names no role of the account is refused
    Given an export request for image "custom" to bucket "home"
    And the parameter "RoleName" is "MyExportRole"
    When I export the image
    Then the request is refused with 403 NoSetRoletoECSServiceAcount (EI-E15)

  @core @EI-R11 @ACS-E14
  Scenario: RoleName AliyunECSImageExportDefaultRole is accepted
    Given an export request for image "custom" to bucket "home"
    And the parameter "RoleName" is "AliyunECSImageExportDefaultRole"
    And the parameter "DryRun" is "true"
    When I export the image
    Then the request passes validation

  @assumption @reference @EI-R11 @EI-R12 @EI-R13 @ACS-E14
  Scenario: an existing role under another name with the right trust and permission is accepted
    Given an export request for image "custom" to bucket "home"
    And the parameter "RoleName" is "EicCustomExportRole"
    And the parameter "DryRun" is "true"
    When I export the image
    Then the request passes validation
