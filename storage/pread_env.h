// PreadEnv: the leveldb::Env layer that reads table files with pread(2)
// instead of mapping them (issue 17, item 4).
//
// LevelDB's POSIX Env maps up to 1000 table files; every page a read touches
// then counts in cairn's resident memory (VmRSS, and VmHWM for good), however
// cold. LeveldbStore::open reads the whole store once, so the peak RSS of a
// restart grew with the store: 132 MiB of tables, 10M queued deliveries, took
// VmHWM to 123 MiB where the heap's peak was 24 MiB. Read with pread, those
// pages are page cache the kernel can reclaim, outside cairn's RSS; each
// block LevelDB reads is copied into a buffer it owns, as it is anyway for
// compressed blocks. Each open table file keeps one descriptor (LevelDB's
// table cache: Options::max_open_files).
#pragma once

#include <string>

#include <leveldb/env.h>
#include <leveldb/status.h>

namespace cairn::storage {

class PreadEnv final : public leveldb::EnvWrapper {
 public:
  explicit PreadEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}

  leveldb::Status NewRandomAccessFile(const std::string& fname,
                                      leveldb::RandomAccessFile** result) override;
};

}  // namespace cairn::storage
