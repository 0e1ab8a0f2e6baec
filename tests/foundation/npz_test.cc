#include "foundation/npz.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "foundation/error.h"
#include "tests/testing.h"

namespace epilabel {
namespace {

TEST(Npz, RoundTripKeepsShapesTypesAndValues) {
  testing::TempDir dir;
  const std::string path = dir / "a.npz";
  std::vector<double> d(2 * 3 * 4);
  for (size_t i = 0; i < d.size(); ++i) d[i] = 0.5 * static_cast<double>(i) - 3.0;
  std::vector<int32_t> ints = {1, -2, 3};
  NpzWriter w(path);
  w.Add("d", NpyArray::FromVector(d, {2, 3, 4}));
  w.Add("i", NpyArray::FromVector(ints, {3}));
  w.Add("names", NpyArray::FromStrings({"left_wrist", "nose"}));
  w.Close();
  const auto npz = ReadNpz(path);
  ASSERT_EQ(npz.size(), 3u);
  EXPECT_EQ(npz.at("d").shape, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(npz.at("d").ToDoubles(), d);
  EXPECT_EQ(npz.at("i").ToInt64(), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(npz.at("names").ToStrings(), (std::vector<std::string>{"left_wrist", "nose"}));
}

TEST(Npz, NumpyLoadsWhatWeWrite) {
  testing::TempDir dir;
  const std::string path = dir / "b.npz";
  std::vector<float> f = {1.5f, -2.25f, 3.0f, 4.0f, 5.0f, 6.0f};
  NpzWriter w(path, /*compress=*/true);
  w.Add("f", NpyArray::FromVector(f, {3, 2}));
  w.Add("s", NpyArray::FromStrings({"cam_01", "cam_2"}));
  w.Close();
  const std::string script = dir / "check.py";
  std::ofstream(script) << "import numpy as np, sys\n"
                           "z = np.load(sys.argv[1])\n"
                           "assert z['f'].shape == (3, 2) and z['f'].dtype == np.float32, z['f']\n"
                           "assert z['f'][0, 1] == -2.25 and z['f'][2, 1] == 6.0\n"
                           "assert list(z['s']) == ['cam_01', 'cam_2']\n"
                           "print('ok')\n";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok"), std::string::npos);
}

TEST(Npz, ReadsWhatNumpyWrites) {
  testing::TempDir dir;
  const std::string path = dir / "c.npz";
  const auto r = testing::Run(testing::PythonWithNumpy() +
                              " -c \"import numpy as np; np.savez('" + path +
                              "', a=np.arange(6, dtype=np.int64).reshape(2,3), b=np.array([0.25, 0.5]), "
                              "n=np.array(['x','yz']))\"");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto npz = ReadNpz(path);
  EXPECT_EQ(npz.at("a").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(npz.at("a").ToInt64(), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(npz.at("b").ToDoubles(), (std::vector<double>{0.25, 0.5}));
  EXPECT_EQ(npz.at("n").ToStrings(), (std::vector<std::string>{"x", "yz"}));
}

TEST(Npz, MissingOrCorruptFilesAreInputErrors) {
  testing::TempDir dir;
  EXPECT_THROW(ReadNpz(dir / "nope.npz"), InputError);
  std::ofstream(dir / "bad.npz") << "this is not a zip";
  try {
    ReadNpz(dir / "bad.npz");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.npz"), std::string::npos);
  }
}

TEST(Npz, FailedWriteLeavesNoFile) {
  testing::TempDir dir;
  // A folder where the file should go makes the rename fail; nothing half-written remains.
  std::filesystem::create_directories(dir.path() / "out.npz" / "x");
  NpzWriter w(dir / "out.npz");
  w.Add("a", NpyArray::FromVector(std::vector<double>{1.0}, {1}));
  EXPECT_ANY_THROW(w.Close());
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 0);
}

// ---------------------------------------------------------------------------------------------
// Hostile archives: each is an InputError naming the file and the member, found without reading
// (or allocating) more than the archive's size allows.

// The InputError message of ReadNpz(path), or "(no InputError)".
std::string NpzError(const std::string& path) {
  try {
    ReadNpz(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// An archive with one array whose header says `descr` and `shape` but holds `data_bytes` zeros.
std::string WriteLyingArray(const testing::TempDir& dir, const std::string& file, const std::string& descr,
                            std::vector<int64_t> shape, size_t data_bytes) {
  NpyArray a;
  a.descr = descr;
  a.shape = std::move(shape);
  a.data.assign(data_bytes, 0);
  NpzWriter w(dir / file);
  w.Add("evil", std::move(a));
  w.Close();
  return dir / file;
}

// Writes a one-member zip by hand (Python's struct and zlib): member "x.npy" whose data is a
// .npy header for `declared_bytes` of float64 zeros followed by `segments` deflate segments of
// 1 MiB of zeros each (about 1 KB each); the zip entry declares `declared_bytes` plus the header.
// `method` 0 stores the compressed bytes as they are (a stored member that lies about its size).
std::string WriteZip(const testing::TempDir& dir, const std::string& file, int segments, uint64_t declared_bytes,
                     int method = 8) {
  const std::string path = dir / file;
  const std::string script = dir / "zip.py";
  std::ofstream(script) << R"PY(
import struct, sys, zlib
path, segments, declared, method = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
header = ("{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % (declared // 8)).ljust(117) + "\n"
npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
c = zlib.compressobj(9, zlib.DEFLATED, -15)
head = c.compress(npy) + c.flush(zlib.Z_FULL_FLUSH)
seg = c.compress(b"\0" * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
data = head + seg * segments + b"\x03\x00"
size = min(declared + len(npy), 0xFFFFFFFF)
crc = zlib.crc32(npy)  # correct for small archives only (never reached in the big ones)
for _ in range(min(segments, 4)): crc = zlib.crc32(b"\0" * (1 << 20), crc)
name = b"x.npy"
local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(name), 0) + name
central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                      len(name), 0, 0, 0, 0, 0, 0) + name
end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
open(path, "wb").write(local + data + central + end)
)PY";
  const auto r = testing::Run(testing::PythonWithNumpy() + " " + script + " " + path + " " + std::to_string(segments) +
                              " " + std::to_string(declared_bytes) + " " + std::to_string(method));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return path;
}

void ExpectNamesFileAndMember(const std::string& msg, const std::string& file, const std::string& member,
                              const std::string& problem) {
  EXPECT_NE(msg.find(file), std::string::npos) << msg;
  EXPECT_NE(msg.find(member), std::string::npos) << msg;
  EXPECT_NE(msg.find(problem), std::string::npos) << msg;
}

TEST(NpzHostile, StringDtypeWhoseItemSizeWrapsToZero) {
  testing::TempDir dir;
  // 4611686018427387904 x 4 bytes per code point = 2^64: wrapped to 0, the size check passed.
  const std::string path = WriteLyingArray(dir, "wrap.npz", "<U4611686018427387904", {3}, 0);
  ExpectNamesFileAndMember(NpzError(path), "wrap.npz", "evil.npy", "unsupported dtype '<U4611686018427387904'");
}

TEST(NpzHostile, ShapesWhoseSizeOverflows) {
  testing::TempDir dir;
  // 2^61 doubles = 2^64 bytes (wraps to 0); 2^62 x 8 elements overflow the element count.
  const std::string a = WriteLyingArray(dir, "bytes.npz", "<f8", {int64_t{1} << 61}, 0);
  ExpectNamesFileAndMember(NpzError(a), "bytes.npz", "evil.npy", "more than 2^64 bytes");
  const std::string b = WriteLyingArray(dir, "count.npz", "<f8", {int64_t{1} << 62, 8}, 16);
  ExpectNamesFileAndMember(NpzError(b), "count.npz", "evil.npy", "more than 2^64 bytes");
  // An empty array whose other extent is huge (loops over it would never end).
  const std::string c = WriteLyingArray(dir, "empty.npz", "<f8", {0, int64_t{1} << 40}, 0);
  ExpectNamesFileAndMember(NpzError(c), "empty.npz", "evil.npy", "implausibly large");
  // More data declared than held.
  const std::string d = WriteLyingArray(dir, "short.npz", "<i4", {5}, 8);
  ExpectNamesFileAndMember(NpzError(d), "short.npz", "evil.npy", "expected 20 bytes, the member holds 8");
}

TEST(NpzHostile, MalformedShapesAndDtypesAreNamedNotStoll) {
  testing::TempDir dir;
  const std::string path = dir / "shape.npz";
  for (const std::string bad : {"(3, x)", "(-2,)", "(99999999999999999999,)", "(3 4)"}) {
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + bad + ", }";
    header.append(63 - (10 + header.size()) % 64, ' ');
    header.push_back('\n');
    std::string npy("\x93NUMPY\x01\x00", 8);
    npy.push_back(static_cast<char>(header.size() & 0xff));
    npy.push_back(static_cast<char>(header.size() >> 8));
    npy += header + std::string(24, '\0');
    NpyArray parsed;
    try {
      parsed = NpyArray::Parse(npy, path + ":x.npy");
      ADD_FAILURE() << bad << " parsed";
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find("stoll"), std::string::npos) << msg;
      ExpectNamesFileAndMember(msg, "shape.npz", "x.npy", "malformed npy shape");
    }
  }
  for (const std::string descr : {"<f3", "<q8", "<U", "<Uabc", "<U0", "", "O"}) {
    const std::string p = WriteLyingArray(dir, "dtype.npz", descr, {1}, 8);
    const std::string msg = NpzError(p);
    ExpectNamesFileAndMember(msg, "dtype.npz", "evil.npy", "dtype");
  }
}

TEST(NpzHostile, SmallFileDeclaringAHugeMember) {
  testing::TempDir dir;
  // A few KB declaring 4 GB (just below 2^32, where zip64 would begin): refused before any
  // decompression and allocation.
  const uint64_t four_gb = (uint64_t{4} << 30) - 4096;
  const std::string deflated = WriteZip(dir, "huge.npz", 1, four_gb);
  ExpectNamesFileAndMember(NpzError(deflated), "huge.npz", "x.npy", "256:1");
  const std::string stored = WriteZip(dir, "stored.npz", 1, four_gb, /*method=*/0);
  ExpectNamesFileAndMember(NpzError(stored), "stored.npz", "x.npy", "stored bytes");
}

TEST(NpzHostile, DeflateBombIsStoppedAtItsDeclaredSize) {
  testing::TempDir dir;
  // 3 MB that inflate to 3 GB. Honest about its size: refused by the ratio.
  const std::string honest = WriteZip(dir, "bomb.npz", 3000, uint64_t{3} << 30);
  ASSERT_LT(std::filesystem::file_size(honest), uint64_t{4} << 20);
  ExpectNamesFileAndMember(NpzError(honest), "bomb.npz", "x.npy", "256:1");
  // Lying (declares 1 MiB): decompression stops one byte past the declared size.
  const std::string lying = WriteZip(dir, "liar.npz", 3000, uint64_t{1} << 20);
  ExpectNamesFileAndMember(NpzError(lying), "liar.npz", "x.npy", "holds more bytes than the");
  // The same construction without the zeros is a valid archive (an empty array).
  const std::string fine = WriteZip(dir, "fine.npz", 0, 0);
  EXPECT_EQ(ReadNpz(fine).at("x").shape, (std::vector<int64_t>{0}));
}

TEST(NpzHostile, ValidArchivesStillRead) {
  testing::TempDir dir;
  // Constant data compresses far beyond 256:1 in small arrays: the allowance covers them.
  NpzWriter w(dir / "zeros.npz", /*compress=*/true);
  w.Add("z", NpyArray::FromVector(std::vector<double>(4000, 0.0), {4000}));
  w.Add("e", NpyArray::FromVector(std::vector<double>{}, {0, 3}));
  w.Add("s", NpyArray::FromStrings({"a", "bcd"}));
  w.Close();
  const auto npz = ReadNpz(dir / "zeros.npz");
  EXPECT_EQ(npz.at("z").ToDoubles(), std::vector<double>(4000, 0.0));
  EXPECT_EQ(npz.at("e").shape, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(npz.at("s").ToStrings(), (std::vector<std::string>{"a", "bcd"}));
}

}  // namespace
}  // namespace epilabel
