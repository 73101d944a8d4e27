Feature: exported objects
  The document fixes no object name: it calls OSSPrefix the "prefix of the OSS object". So the
  core scenarios check that every object the task names exists, starts with the OSSPrefix and is a
  valid image; the reference's <OSSPrefix>_<ImageId>_system.<ext> (ext raw.tar.gz for raw,
  the name terraform's provider deletes) is @assumption. The public DescribeTaskAttribute
  sample names an object MYOSSPRE_m-23f8tcp***_t-23ym6mv***.vhd (prefix, image, task).

  @core @costly @EI-R19 @EI-R2
  Scenario: the prefix starts the object name
    Given an export request for image "formats-custom" to bucket "formats"
    And the parameter "OSSPrefix" is "Backup2024"
    And the parameter "ImageFormat" is "vmdk"
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    Then every object the task names starts with its OSSPrefix
    And the bucket holds the objects of the task
    And each exported object is a valid "vmdk" image of its source disk

  @assumption @costly @EI-R19
  Scenario Outline: objects are named <OSSPrefix>_<ImageId>_system.<ext>
    Given an export request for image "formats-custom" to bucket "formats"
    And the parameter "ImageFormat" is "<format>"
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    Then the task reports the objects:
      | EcsExport_{image:formats-custom}_system.<ext> |

    Examples:
      | format | ext        |
      | raw    | raw.tar.gz |
      | vmdk   | vmdk       |

  @assumption @costly @EI-R19
  Scenario: without a prefix the object name starts at the image ID
    Given an export request for image "custom" to bucket "home"
    And the parameter "OSSPrefix" is absent
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    Then the task reports the objects:
      | {image:custom}_system.raw.tar.gz |
    And the bucket holds the objects of the task
