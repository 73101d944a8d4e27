Feature: ImageFormat
  ImageFormat is one of raw, vhd, qcow2, vmdk, vdi (lower case), default raw. The exported
  object is read back: its header names the requested format and the disk it holds, turned
  back into raw, has the source disk's SHA-256.

  @core @costly @EI-R3 @EI-R19 @EI-R20
  Scenario Outline: every format is exported where the region honours formats
    Given an export request for image "formats-custom" to bucket "formats"
    And the parameter "ImageFormat" is "<format>"
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    Then every object the task names starts with its OSSPrefix
    And the bucket holds the objects of the task
    And each exported object is a valid "<format>" image of its source disk

    Examples:
      | format | ext        |
      | raw    | raw.tar.gz |
      | vhd    | vhd        |
      | qcow2  | qcow2      |
      | vmdk   | vmdk       |
      | vdi    | vdi        |

  @core @costly @EI-R3 @EI-R19
  Scenario: without ImageFormat the export is raw
    Given an export request for image "custom" to bucket "home"
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    Then every object the task names starts with its OSSPrefix
    And the bucket holds the objects of the task
    And each exported object is a valid "raw" image of its source disk

  @core @EI-R3 @EI-E11
  Scenario Outline: an unknown ImageFormat is refused
    Given an export request for image "formats-custom" to bucket "formats"
    And the parameter "ImageFormat" is "<format>"
    When I export the image
    Then the request is refused with 400 InvalidImageFormat.Malformed (EI-E11)

    Examples:
      | format |
      | iso    |
      | ova    |
      | raw.gz |

  # The document gives lower-case values and says nothing of case.
  @assumption @EI-R3 @EI-E11
  Scenario Outline: a wrongly cased ImageFormat is refused
    Given an export request for image "formats-custom" to bucket "formats"
    And the parameter "ImageFormat" is "<format>"
    When I export the image
    Then the request is refused with 400 InvalidImageFormat.Malformed (EI-E11)

    Examples:
      | format |
      | RAW    |
      | Qcow2  |
      | VHD    |

  @assumption @EI-R3 @EI-E11
  Scenario: an empty ImageFormat that is present is malformed
    Given an export request for image "formats-custom" to bucket "formats"
    And the parameter "ImageFormat" is empty
    When I export the image
    Then the request is refused with 400 InvalidImageFormat.Malformed (EI-E11)

  @core @EI-R3 @EI-R20 @ACS-E14
  Scenario: raw is accepted in a region that produces raw only
    Given an export request for image "custom" to bucket "home"
    And the parameter "DryRun" is "true"
    And the parameter "ImageFormat" is "raw"
    When I export the image
    Then the request passes validation

  @assumption @EI-R20 @EI-E25
  Scenario Outline: another format in a region that produces raw only is refused
    Given an export request for image "custom" to bucket "home"
    And the parameter "ImageFormat" is "<format>"
    When I export the image
    Then the request is refused with 400 InvalidImageFormat.RegionNotSupported (EI-E25)

    Examples:
      | format |
      | qcow2  |
      | vmdk   |
