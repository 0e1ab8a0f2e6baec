// Replays a fuzz target without libFuzzer, so the default (gcc, unsanitised) build runs every
// target in CTest: each seed file as it is, then deterministic mutations of it (truncations,
// byte flips, inserted and deleted runs, repeated blocks) from a fixed random seed. A crash,
// a hang (CTest's timeout) or a non-InputError exception (fuzz_util.h aborts) fails the test.
//
//   replay_<reader> [--mutations N] [--seed S] FILE_OR_FOLDER...
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The input being read, written to replay-finding.bin in the current folder when the reader
// crashes or aborts, so that a finding can be reproduced (`replay_<reader> replay-finding.bin`).
const std::vector<uint8_t>* g_current_input = nullptr;

extern "C" void SaveInputAndDie(int signal_number) {
  if (g_current_input != nullptr) {
    const int fd = ::open("replay-finding.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      const ssize_t written = ::write(fd, g_current_input->data(), g_current_input->size());
      static_cast<void>(written);
      ::close(fd);
      static const char kMessage[] = "replay: the input is saved as replay-finding.bin\n";
      static_cast<void>(::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1));
    }
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void Replay(const std::vector<uint8_t>& input) {
  g_current_input = &input;
  LLVMFuzzerTestOneInput(input.data(), input.size());
  g_current_input = nullptr;
}

std::vector<uint8_t> ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::filesystem::path> SeedFiles(const std::vector<std::string>& args) {
  std::vector<std::filesystem::path> files;
  for (const std::string& a : args) {
    if (std::filesystem::is_directory(a)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(a))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (std::filesystem::is_regular_file(a)) {
      files.emplace_back(a);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// One mutation of `in`, chosen by `rng`.
std::vector<uint8_t> Mutate(const std::vector<uint8_t>& in, std::mt19937_64& rng) {
  std::vector<uint8_t> out = in;
  auto pos = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  switch (rng() % 6) {
    case 0:  // truncate
      out.resize(pos(out.size() + 1));
      break;
    case 1:  // flip up to 8 bytes
      for (int k = 0, n = 1 + static_cast<int>(rng() % 8); k < n && !out.empty(); ++k)
        out[pos(out.size())] ^= static_cast<uint8_t>(1u << (rng() % 8));
      break;
    case 2:  // overwrite a byte with an interesting value
      if (!out.empty()) {
        static const uint8_t kValues[] = {0x00, 0xff, 0x7f, 0x80, '9', '-', '"', '[', '{', ','};
        out[pos(out.size())] = kValues[rng() % sizeof(kValues)];
      }
      break;
    case 3: {  // delete a run
      const size_t a = pos(out.size()), n = std::min<size_t>(out.size() - a, 1 + rng() % 64);
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(a), out.begin() + static_cast<std::ptrdiff_t>(a + n));
      break;
    }
    case 4: {  // repeat a block
      const size_t a = pos(out.size()), n = std::min<size_t>(out.size() - a, 1 + rng() % 256);
      const std::vector<uint8_t> block(out.begin() + static_cast<std::ptrdiff_t>(a),
                                       out.begin() + static_cast<std::ptrdiff_t>(a + n));
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos(out.size() + 1)), block.begin(), block.end());
      break;
    }
    default: {  // insert digits (huge numbers, long strings)
      const std::string digits(1 + rng() % 24, static_cast<char>('0' + rng() % 10));
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(pos(out.size() + 1)), digits.begin(), digits.end());
      break;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int mutations = 200;
  uint64_t seed = 1;
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mutations" && i + 1 < argc) mutations = std::atoi(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else inputs.push_back(a);
  }
  const std::vector<std::filesystem::path> files = SeedFiles(inputs);
  if (files.empty()) {
    std::fprintf(stderr, "no seed file found\n");
    return 2;
  }
  for (const int s : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(s, SaveInputAndDie);
  std::mt19937_64 rng(seed);
  size_t runs = 0;
  for (const auto& file : files) {
    const std::vector<uint8_t> bytes = ReadBytes(file);
    Replay(bytes);
    ++runs;
    for (int m = 0; m < mutations; ++m) {
      std::vector<uint8_t> input = Mutate(bytes, rng);
      if (rng() % 2) input = Mutate(input, rng);  // sometimes two mutations
      Replay(input);
      ++runs;
    }
  }
  std::printf("%zu inputs from %zu seeds replayed, no finding\n", runs, files.size());
  return 0;
}
