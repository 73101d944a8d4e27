Feature: exported objects
  Objects are named <OSSPrefix>_<ImageId>_system.<ext>, ext raw.tar.gz for raw, else the
  format name.

  @core @costly @EI-R19 @EI-R2
  Scenario: the prefix starts the object name
    Given an export request for image "formats-custom" to bucket "formats"
    And the parameter "OSSPrefix" is "Backup2024"
    And the parameter "ImageFormat" is "vmdk"
    When I export the image
    Then the export is accepted
    When I wait for the task to be "Finished"
    Then the task reports the objects:
      | Backup2024_{image:formats-custom}_system.vmdk |
    And each exported object is a valid "vmdk" image of its source disk

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
