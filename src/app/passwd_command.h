// `cairn passwd FILE USER`: sets a user's password in a mosquitto-compatible
// password file (auth/password_file.h), as `mosquitto_passwd FILE USER` does;
// `cairn passwd -D FILE USER` deletes the user.
//
// The password comes from the terminal, typed twice without echo, when
// standard input is one; otherwise it is the first line of standard input (so
// scripts can pipe it in without putting it on a command line). A missing
// file is created with mode 0600. Every other line of an existing file
// (entries, comments, blank lines) is kept byte for byte, and the file keeps
// its mode and owner. The new file is written beside the old one, synced and
// renamed over it, so a crash leaves either the old file or the new one.
//
// A file that does not parse is left alone and the error names its line;
// mosquitto_passwd 2.0.11 in the same case reports the line and rewrites the
// file without the lines it did not understand.
#pragma once

#include <string>

namespace cairn::app {

struct PasswdRequest {
  std::string file;
  std::string user;
  bool remove = false;  // -D: delete `user` rather than set a password
};

// Returns the process exit code: 0 when the file was written; 1 when it was
// left unchanged (it does not parse, cannot be read or written, the
// passwords typed differ or are empty, the user to delete is not there);
// 2 when the user name cannot be in a password file. Says why on stderr.
int run_passwd_command(const PasswdRequest& request);

}  // namespace cairn::app
