// Malformed packets, part 3: CONNECT (protocol name and level, reserved flag,
// will flags, password without user name, fields past the end) and CONNACK
// (acknowledge flags, return and reason codes, session present on failure).
// The reason codes are those of the table in src/mqtt/README.md.
#include <gtest/gtest.h>

#include "mqtt/frame_decoder.h"
#include "support/decode_case.h"

namespace cairn::mqtt {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace)

// ---- Protocol name other than MQTT / MQIsdp [MQTT-3.1.2-1]: 0x82 ----
std::vector<MalformedCase> protocol_name_cases() {
  return {
      {"V311_NameMQTX",
       kV311,
       {0x10, 0x0D,                      // CONNECT, RL 13
        0x00, 0x04, 'M', 'Q', 'T', 'X',  // protocol name "MQTX"
        0x04,                            // level 4
        0x02,                            // clean session
        0x00, 0x3C,                      // keep alive 60
        0x00, 0x01, 'c'},                // client id "c"
       kProtocolError},
      {"V311_NameLowercase",
       kV311,
       {0x10, 0x0D,                      // CONNECT, RL 13
        0x00, 0x04, 'm', 'q', 't', 't',  // protocol name "mqtt"
        0x04, 0x02, 0x00, 0x3C,          // level 4, clean session, keep alive 60
        0x00, 0x01, 'c'},                // client id "c"
       kProtocolError},
      {"V311_NameEmpty",
       kV311,
       {0x10, 0x09,              // CONNECT, RL 9
        0x00, 0x00,              // protocol name ""
        0x04, 0x02, 0x00, 0x3C,  // level 4, clean session, keep alive 60
        0x00, 0x01, 'c'},        // client id "c"
       kProtocolError},
      {"V311_NameMQTTWithSpace",
       kV311,
       {0x10, 0x0E,                           // CONNECT, RL 14
        0x00, 0x05, 'M', 'Q', 'T', 'T', ' ',  // protocol name "MQTT "
        0x04, 0x02, 0x00, 0x3C,               // level 4, clean session, keep alive 60
        0x00, 0x01, 'c'},                     // client id "c"
       kProtocolError},
      {"V31_NameMQISDP",
       kV31,
       {0x10, 0x0F,                                // CONNECT, RL 15
        0x00, 0x06, 'M', 'Q', 'I', 'S', 'D', 'P',  // protocol name "MQISDP"
        0x03, 0x02, 0x00, 0x3C,                    // level 3, clean session, keep alive 60
        0x00, 0x01, 'c'},                          // client id "c"
       kProtocolError},
      {"V5_NameMQTX",
       kV5,
       {0x10, 0x0E,                      // CONNECT, RL 14
        0x00, 0x04, 'M', 'Q', 'T', 'X',  // protocol name "MQTX"
        0x05, 0x02, 0x00, 0x3C,          // level 5, clean start, keep alive 60
        0x00,                            // property length 0
        0x00, 0x01, 'c'},                // client id "c"
       kProtocolError},
  };
}

// ---- Protocol level not 3 (MQIsdp), 4 or 5 (MQTT) [MQTT-3.1.2-2]: 0x84 ----
std::vector<MalformedCase> protocol_level_cases() {
  return {
      {"V311_MQTTLevel3",
       kV311,
       {0x10, 0x0D,                      // CONNECT, RL 13
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // "MQTT"
        0x03,                            // level 3 is MQIsdp's
        0x02, 0x00, 0x3C,                // clean session, keep alive 60
        0x00, 0x01, 'c'},                // client id "c"
       kUnsupportedVersion},
      {"V311_MQTTLevel6",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T',
        0x06,  // level 6
        0x02, 0x00, 0x3C, 0x00, 0x01, 'c'},
       kUnsupportedVersion},
      {"V311_MQTTLevel0",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T',
        0x00,  // level 0
        0x02, 0x00, 0x3C, 0x00, 0x01, 'c'},
       kUnsupportedVersion},
      {"V311_MQTTLevel84Bridge",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T',
        0x84,  // level 4 with the (non-standard) bridge bit
        0x02, 0x00, 0x3C, 0x00, 0x01, 'c'},
       kUnsupportedVersion},
      {"V5_MQTTLevel6",
       kV5,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T',
        0x06,  // level 6
        0x02, 0x00, 0x3C, 0x00, 0x00, 0x01, 'c'},
       kUnsupportedVersion},
      {"V311_MQIsdpLevel4",
       kV311,
       {0x10, 0x0F,                                // CONNECT, RL 15
        0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',  // "MQIsdp"
        0x04,                                      // level 4 is MQTT's
        0x02, 0x00, 0x3C,                          // clean session, keep alive 60
        0x00, 0x01, 'c'},                          // client id "c"
       kUnsupportedVersion},
      {"V311_MQIsdpLevel5",
       kV311,
       {0x10, 0x10,                                // CONNECT, RL 16
        0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',  // "MQIsdp"
        0x05,                                      // level 5 is MQTT's
        0x02, 0x00, 0x3C,                          // clean start, keep alive 60
        0x00,                                      // property length 0
        0x00, 0x01, 'c'},                          // client id "c"
       kUnsupportedVersion},
  };
}

// ---- CONNECT flags ----
std::vector<MalformedCase> connect_flag_cases() {
  return {
      // Reserved flag [MQTT-3.1.2-3]: 0x81.
      {"V311_ReservedFlag",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x03,  // clean session + reserved bit 0
        0x00, 0x3C, 0x00, 0x01, 'c'},
       kMalformed},
      {"V311_ReservedFlagOnly",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x01,  // reserved bit 0 alone
        0x00, 0x3C, 0x00, 0x01, 'c'},
       kMalformed},
      {"V5_ReservedFlag",
       kV5,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0x03,  // clean start + reserved bit 0
        0x00, 0x3C, 0x00, 0x00, 0x01, 'c'},
       kMalformed},
      {"V31_ReservedFlag",
       kV31,
       {0x10, 0x0F, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03,
        0x03,  // clean session + reserved bit 0
        0x00, 0x3C, 0x00, 0x01, 'c'},
       kMalformed},
      // Will QoS or will retain without the will flag; will QoS 3 [MQTT-3.1.2-11..15]: 0x81.
      {"V311_WillQoS1WithoutWill",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x0A,  // will QoS 1 + clean session, no will flag
        0x00, 0x3C, 0x00, 0x01, 'c'},
       kMalformed},
      {"V311_WillQoS2WithoutWill",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x12,  // will QoS 2 + clean session, no will flag
        0x00, 0x3C, 0x00, 0x01, 'c'},
       kMalformed},
      {"V311_WillRetainWithoutWill",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x22,  // will retain + clean session, no will flag
        0x00, 0x3C, 0x00, 0x01, 'c'},
       kMalformed},
      {"V31_WillQoS1WithoutWill",
       kV31,
       {0x10, 0x0F, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03,
        0x0A,  // will QoS 1 + clean session, no will flag
        0x00, 0x3C, 0x00, 0x01, 'c'},
       kMalformed},
      {"V5_WillQoS1WithoutWill",
       kV5,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0x0A,  // will QoS 1 + clean start, no will flag
        0x00, 0x3C, 0x00, 0x00, 0x01, 'c'},
       kMalformed},
      {"V5_WillRetainWithoutWill",
       kV5,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0x22,  // will retain + clean start, no will flag
        0x00, 0x3C, 0x00, 0x00, 0x01, 'c'},
       kMalformed},
      {"V311_WillQoS3",
       kV311,
       {0x10, 0x13,                      // CONNECT, RL 19
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // "MQTT"
        0x04,                            // level 4
        0x1E,                            // will QoS 3 + will flag + clean session
        0x00, 0x3C,                      // keep alive 60
        0x00, 0x01, 'c',                 // client id "c"
        0x00, 0x01, 'w',                 // will topic "w"
        0x00, 0x01, 'p'},                // will message "p"
       kMalformed},
      {"V5_WillQoS3",
       kV5,
       {0x10, 0x15,                      // CONNECT, RL 21
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // "MQTT"
        0x05,                            // level 5
        0x1E,                            // will QoS 3 + will flag + clean start
        0x00, 0x3C,                      // keep alive 60
        0x00,                            // property length 0
        0x00, 0x01, 'c',                 // client id "c"
        0x00,                            // will property length 0
        0x00, 0x01, 'w',                 // will topic "w"
        0x00, 0x01, 'p'},                // will payload "p"
       kMalformed},
      {"V31_WillQoS3",
       kV31,
       {0x10, 0x15,                                // CONNECT, RL 21
        0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',  // "MQIsdp"
        0x03,                                      // level 3
        0x1E,                                      // will QoS 3 + will flag + clean session
        0x00, 0x3C,                                // keep alive 60
        0x00, 0x01, 'c',                           // client id "c"
        0x00, 0x01, 'w',                           // will topic "w"
        0x00, 0x01, 'p'},                          // will message "p"
       kMalformed},
      // A will topic is a topic name: no wildcard [MQTT-4.7.0-1], not empty
      // [MQTT-4.7.3-1]: 0x90.
      {"V311_WillTopicPlus",
       kV311,
       {0x10, 0x15,                      // CONNECT, RL 21
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // "MQTT"
        0x04,                            // level 4
        0x06,                            // will flag + clean session
        0x00, 0x3C,                      // keep alive 60
        0x00, 0x01, 'c',                 // client id "c"
        0x00, 0x03, 'w', '/', '+',       // will topic "w/+"
        0x00, 0x01, 'p'},                // will message "p"
       kNameInvalid},
      {"V5_WillTopicEmpty",
       kV5,
       {0x10, 0x14,                      // CONNECT, RL 20
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // "MQTT"
        0x05,                            // level 5
        0x06,                            // will flag + clean start
        0x00, 0x3C,                      // keep alive 60
        0x00,                            // property length 0
        0x00, 0x01, 'c',                 // client id "c"
        0x00,                            // will property length 0
        0x00, 0x00,                      // will topic ""
        0x00, 0x01, 'p'},                // will payload "p"
       kNameInvalid},
      // 3.x: password flag without user name flag [MQTT-3.1.2-22]: 0x81.
      {"V311_PasswordWithoutUserName",
       kV311,
       {0x10, 0x10,                      // CONNECT, RL 16
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // "MQTT"
        0x04,                            // level 4
        0x42,                            // password + clean session, no user name
        0x00, 0x3C,                      // keep alive 60
        0x00, 0x01, 'c',                 // client id "c"
        0x00, 0x01, 'p'},                // password "p"
       kMalformed},
      {"V31_PasswordWithoutUserName",
       kV31,
       {0x10, 0x12,                                // CONNECT, RL 18
        0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',  // "MQIsdp"
        0x03,                                      // level 3
        0x42,                                      // password + clean session, no user name
        0x00, 0x3C,                                // keep alive 60
        0x00, 0x01, 'c',                           // client id "c"
        0x00, 0x01, 'p'},                          // password "p"
       kMalformed},
  };
}

// ---- CONNECT fields running past the end, or bytes left over: 0x81 ----
std::vector<MalformedCase> connect_length_cases() {
  return {
      {"V311_ProtocolNameTruncated",
       kV311,
       {0x10, 0x03,        // CONNECT, RL 3
        0x00, 0x04, 'M'},  // protocol name of 4 bytes, 1 present
       kMalformed},
      {"V311_NoKeepAlive",
       kV311,
       {0x10, 0x08,                      // CONNECT, RL 8
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // "MQTT"
        0x04, 0x02},                     // level, flags; keep alive and client id missing
       kMalformed},
      {"V311_NoClientId",
       kV311,
       {0x10, 0x0A,                      // CONNECT, RL 10
        0x00, 0x04, 'M', 'Q', 'T', 'T',  // "MQTT"
        0x04, 0x02, 0x00, 0x3C},         // level, flags, keep alive; client id missing
       kMalformed},
      {"V311_ClientIdPastEnd",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02,
        'c'},  // client id of 2 bytes, 1 present
       kMalformed},
      {"V311_ByteLeftOver",
       kV311,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01,
        'c',   // client id "c"
        'x'},  // left over
       kMalformed},
      {"V311_WillFlagWithoutWill",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x06,                          // will flag + clean session
        0x00, 0x3C, 0x00, 0x01, 'c'},  // client id, then no will topic
       kMalformed},
      {"V311_WillWithoutMessage",
       kV311,
       {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x06,                         // will flag + clean session
        0x00, 0x3C, 0x00, 0x01, 'c',  // keep alive, client id
        0x00, 0x01, 'w'},             // will topic, then no will message
       kMalformed},
      {"V311_UserNameFlagWithoutUserName",
       kV311,
       {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x82,                          // user name + clean session
        0x00, 0x3C, 0x00, 0x01, 'c'},  // client id, then no user name
       kMalformed},
      {"V311_PasswordFlagWithoutPassword",
       kV311,
       {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0xC2,                         // user name + password + clean session
        0x00, 0x3C, 0x00, 0x01, 'c',  // keep alive, client id
        0x00, 0x01, 'u'},             // user name, then no password
       kMalformed},
      {"V5_UserNameFlagWithoutUserName",  // [MQTT-3.1.2-17]
       kV5,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0x82,              // user name + clean start
        0x00, 0x3C, 0x00,  // keep alive, property length 0
        0x00, 0x01, 'c'},  // client id, then no user name
       kMalformed},
      {"V5_PasswordFlagWithoutPassword",  // [MQTT-3.1.2-19]
       kV5,
       {0x10, 0x11, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0xC2,              // user name + password + clean start
        0x00, 0x3C, 0x00,  // keep alive, property length 0
        0x00, 0x01, 'c',   // client id
        0x00, 0x01, 'u'},  // user name, then no password
       kMalformed},
      // A user name the flags do not announce [MQTT-3.1.2-16] is bytes left
      // over after the last field.
      {"V311_UserNameWithoutFlag",
       kV311,
       {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
        0x02,                         // clean session only
        0x00, 0x3C, 0x00, 0x01, 'c',  // keep alive, client id
        0x00, 0x01, 'u'},             // a user name nobody announced
       kMalformed},
      {"V5_UserNameWithoutFlag",
       kV5,
       {0x10, 0x11, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0x02,              // clean start only
        0x00, 0x3C, 0x00,  // keep alive, property length 0
        0x00, 0x01, 'c',   // client id
        0x00, 0x01, 'u'},  // a user name nobody announced
       kMalformed},
      {"V5_NoPropertyLength",
       kV5,
       {0x10, 0x0A, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00,
        0x3C},  // level 5, flags, keep alive; nothing more
       kMalformed},
      {"V5_PropertyLengthPastEnd",
       kV5,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C,
        0x05,  // property length 5, 3 bytes left in the packet
        0x00, 0x01, 'c'},
       kMalformed},
      {"V5_WillPropertiesMissing",
       kV5,
       {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0x06,              // will flag + clean start
        0x00, 0x3C, 0x00,  // keep alive, property length 0
        0x00, 0x01, 'c'},  // client id, then no will properties
       kMalformed},
      {"V5_WillPayloadPastEnd",
       kV5,
       {0x10, 0x15, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0x06,              // will flag + clean start
        0x00, 0x3C, 0x00,  // keep alive, property length 0
        0x00, 0x01, 'c',   // client id
        0x00,              // will property length 0
        0x00, 0x01, 'w',   // will topic "w"
        0x00, 0x03, 'p'},  // will payload of 3 bytes, 1 present
       kMalformed},
      {"V5_ByteLeftOverAfterPassword",
       kV5,
       {0x10, 0x15, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
        0xC2,              // user name + password + clean start
        0x00, 0x3C, 0x00,  // keep alive, property length 0
        0x00, 0x01, 'c',   // client id
        0x00, 0x01, 'u',   // user name
        0x00, 0x01, 'p',   // password
        'x'},              // left over
       kMalformed},
  };
}

// ---- CONNACK ----
std::vector<MalformedCase> connack_cases() {
  return {
      // Acknowledge flags other than bit 0 [MQTT-3.2.2-1]: 0x81.
      {"V311_AckFlags02", kV311, {0x20, 0x02, 0x02, 0x00}, kMalformed},  // bit 1 set
      {"V311_AckFlags80", kV311, {0x20, 0x02, 0x80, 0x00}, kMalformed},  // bit 7 set
      {"V5_AckFlags02",
       kV5,
       {0x20, 0x03,  // CONNACK, RL 3
        0x02,        // acknowledge flags: bit 1 set
        0x00,        // Success
        0x00},       // property length 0
       kMalformed},
      {"V5_AckFlagsFF", kV5, {0x20, 0x03, 0xFF, 0x00, 0x00}, kMalformed},
      // 3.x return code above 5: 0x82.
      {"V311_ReturnCode6", kV311, {0x20, 0x02, 0x00, 0x06}, kProtocolError},
      {"V311_ReturnCode80", kV311, {0x20, 0x02, 0x00, 0x80}, kProtocolError},
      {"V311_ReturnCodeFF", kV311, {0x20, 0x02, 0x00, 0xFF}, kProtocolError},
      {"V31_ReturnCode6", kV31, {0x20, 0x02, 0x00, 0x06}, kProtocolError},
      // Session present with a failure code [MQTT-3.2.2-6] (3.1.1: [MQTT-3.2.2-4]): 0x82.
      {"V5_SessionPresentWithFailure",
       kV5,
       {0x20, 0x03,  // CONNACK, RL 3
        0x01,        // session present
        0x87,        // Not authorized
        0x00},       // property length 0
       kProtocolError},
      {"V5_SessionPresentWith80", kV5, {0x20, 0x03, 0x01, 0x80, 0x00}, kProtocolError},
      {"V311_SessionPresentWithFailure",
       kV311,
       {0x20, 0x02,  // CONNACK, RL 2
        0x01,        // session present
        0x05},       // not authorized
       kProtocolError},
      // A reason code table 2-6 does not list for CONNACK: 0x82.
      {"V5_Code8E", kV5, {0x20, 0x03, 0x00, 0x8E, 0x00}, kProtocolError},  // Session taken over
      {"V5_Code8B", kV5, {0x20, 0x03, 0x00, 0x8B, 0x00}, kProtocolError},  // Server shutting down
      {"V5_Code04", kV5, {0x20, 0x03, 0x00, 0x04, 0x00}, kProtocolError},  // DISCONNECT only
      {"V5_Code10", kV5, {0x20, 0x03, 0x00, 0x10, 0x00}, kProtocolError},  // PUBACK only
      {"V5_Code01", kV5, {0x20, 0x03, 0x00, 0x01, 0x00}, kProtocolError},  // SUBACK only
      {"V5_Code8F", kV5, {0x20, 0x03, 0x00, 0x8F, 0x00}, kProtocolError},  // SUBACK etc. only
  };
}

class MalformedConnect : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedConnect, IsRefusedWithTheReasonCode) {
  const MalformedCase& c = GetParam();
  expect_refused(c.version, c.bytes, c.reason);
}

INSTANTIATE_TEST_SUITE_P(ProtocolName, MalformedConnect, ::testing::ValuesIn(protocol_name_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(ProtocolLevel, MalformedConnect,
                         ::testing::ValuesIn(protocol_level_cases()), case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Flags, MalformedConnect, ::testing::ValuesIn(connect_flag_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Length, MalformedConnect, ::testing::ValuesIn(connect_length_cases()),
                         case_name<MalformedCase>);
INSTANTIATE_TEST_SUITE_P(Connack, MalformedConnect, ::testing::ValuesIn(connack_cases()),
                         case_name<MalformedCase>);

// ---- Positive controls ----

TEST(AcceptedConnect, MinimalOfEachVersion) {
  const Packet v31 = expect_accepted(kV311,
                                     {0x10, 0x0F, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p',
                                      0x03,              // level 3
                                      0x02, 0x00, 0x3C,  // clean session, keep alive 60
                                      0x00, 0x01, 'c'},  // client id "c"
                                     PacketType::kConnect);
  EXPECT_EQ(std::get<Connect>(v31).version, kV31);
  EXPECT_EQ(std::get<Connect>(v31).client_id, "c");
  EXPECT_EQ(std::get<Connect>(v31).keep_alive, 60);

  const Packet v311 = expect_accepted(kV5,
                                      {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                       0x04,              // level 4
                                       0x00, 0x00, 0x00,  // no clean session, keep alive 0
                                       0x00, 0x01, 'c'},  // client id "c"
                                      PacketType::kConnect);
  EXPECT_EQ(std::get<Connect>(v311).version, kV311);
  EXPECT_FALSE(std::get<Connect>(v311).clean_start);

  const Packet v5 = expect_accepted(kV311,
                                    {0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                     0x05,              // level 5
                                     0x02, 0xFF, 0xFF,  // clean start, keep alive 65535
                                     0x00,              // property length 0
                                     0x00, 0x01, 'c'},  // client id "c"
                                    PacketType::kConnect);
  EXPECT_EQ(std::get<Connect>(v5).version, kV5);
  EXPECT_EQ(std::get<Connect>(v5).keep_alive, 0xFFFF);
}

TEST(AcceptedConnect, V311EmptyClientIdWithCleanSession) {
  const Packet packet = expect_accepted(kV311,
                                        {0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                         0x00, 0x3C,   // clean session, keep alive 60
                                         0x00, 0x00},  // client id ""
                                        PacketType::kConnect);
  EXPECT_EQ(std::get<Connect>(packet).client_id, "");
}

TEST(AcceptedConnect, V5PasswordWithoutUserName) {
  // MQTT 5 allows a password without a user name [MQTT-3.1.2.9].
  const Packet packet = expect_accepted(kV5,
                                        {0x10, 0x11, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
                                         0x42,              // password + clean start
                                         0x00, 0x3C, 0x00,  // keep alive, property length 0
                                         0x00, 0x01, 'c',   // client id "c"
                                         0x00, 0x01, 'p'},  // password "p"
                                        PacketType::kConnect);
  const auto& connect = std::get<Connect>(packet);
  EXPECT_FALSE(connect.username.has_value());
  ASSERT_TRUE(connect.password.has_value());
  EXPECT_EQ(*connect.password, "p");
}

TEST(AcceptedConnect, V311WillQoS2RetainUserNamePassword) {
  const Packet packet =
      expect_accepted(kV311, {0x10, 0x1C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
                              0xF6,             // user, password, will retain, QoS 2, will, clean
                              0x00, 0x3C,       // keep alive 60
                              0x00, 0x01, 'c',  // client id "c"
                              0x00, 0x01, 'w',  // will topic "w"
                              0x00, 0x02, 0x00, 0xFF,         // will message: arbitrary bytes
                              0x00, 0x01, 'u',                // user name "u"
                              0x00, 0x03, 0xC0, 0x80, 0x00},  // password: binary, not UTF-8
                      PacketType::kConnect);
  const auto& connect = std::get<Connect>(packet);
  ASSERT_TRUE(connect.will.has_value());
  EXPECT_EQ(connect.will->topic, "w");
  EXPECT_EQ(connect.will->payload, std::string("\x00\xFF", 2));
  EXPECT_EQ(connect.will->qos, QoS::kExactlyOnce);
  EXPECT_TRUE(connect.will->retain);
  EXPECT_EQ(connect.username, std::optional<std::string>("u"));
  EXPECT_EQ(connect.password, std::optional<std::string>(std::string("\xC0\x80\x00", 3)));
}

TEST(AcceptedConnect, V5WillQoS1) {
  const Packet packet = expect_accepted(kV5, {0x10, 0x15, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,
                                              0x0E,              // will QoS 1 + will flag + clean
                                              0x00, 0x3C, 0x00,  // keep alive, property length 0
                                              0x00, 0x01, 'c',   // client id "c"
                                              0x00,              // will property length 0
                                              0x00, 0x01, 'w',   // will topic "w"
                                              0x00, 0x01, 'p'},  // will payload "p"
                                        PacketType::kConnect);
  const auto& connect = std::get<Connect>(packet);
  ASSERT_TRUE(connect.will.has_value());
  EXPECT_EQ(connect.will->qos, QoS::kAtLeastOnce);
  EXPECT_FALSE(connect.will->retain);
}

TEST(AcceptedConnack, CodesAndSessionPresent) {
  const Packet present = expect_accepted(kV311, {0x20, 0x02, 0x01, 0x00}, PacketType::kConnack);
  EXPECT_TRUE(std::get<Connack>(present).session_present);
  EXPECT_EQ(std::get<Connack>(present).reason_code, ReasonCode::kSuccess);

  // 3.1.1 return code 5 is "not authorized", 0x87 in MQTT 5.
  const Packet refused = expect_accepted(kV311, {0x20, 0x02, 0x00, 0x05}, PacketType::kConnack);
  EXPECT_EQ(std::get<Connack>(refused).reason_code, ReasonCode::kNotAuthorized);
  const Packet v31 = expect_accepted(kV31, {0x20, 0x02, 0x00, 0x01}, PacketType::kConnack);
  EXPECT_EQ(std::get<Connack>(v31).reason_code, ReasonCode::kUnsupportedProtocolVersion);

  // MQTT 3.1 has no acknowledge flags: the first byte is reserved and not used.
  const Packet v31_reserved = expect_accepted(kV31, {0x20, 0x02, 0x01, 0x00}, PacketType::kConnack);
  EXPECT_FALSE(std::get<Connack>(v31_reserved).session_present);

  const Packet v5 = expect_accepted(kV5, {0x20, 0x03, 0x00, 0x9F, 0x00}, PacketType::kConnack);
  EXPECT_EQ(std::get<Connack>(v5).reason_code, ReasonCode::kConnectionRateExceeded);
  const Packet v5_present =
      expect_accepted(kV5, {0x20, 0x03, 0x01, 0x00, 0x00}, PacketType::kConnack);
  EXPECT_TRUE(std::get<Connack>(v5_present).session_present);
}

}  // namespace
}  // namespace cairn::mqtt
