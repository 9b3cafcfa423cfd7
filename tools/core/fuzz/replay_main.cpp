// Runs a fuzz target without libFuzzer, so the ordinary (GCC + ASan) test build exercises
// every target: each file of the corpus directories given as arguments, then a fixed
// number of deterministic mutations of them (byte flips, truncations, insertions,
// splices). Crashers that libFuzzer finds go into the corpus and are replayed forever.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> corpus;
  long mutations = 20000;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--mutations=", 0) == 0) {
      mutations = std::stol(arg.substr(12));
      continue;
    }
    for (const auto& entry : std::filesystem::directory_iterator(arg)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      corpus.push_back(ss.str());
    }
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "replay: no corpus files given\n");
    return 2;
  }
  for (const auto& c : corpus) run(c);
  std::mt19937_64 rng(20261122);
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  for (long m = 0; m < mutations; ++m) {
    std::string s = corpus[pick(corpus.size())];
    int edits = 1 + static_cast<int>(pick(4));
    for (int e = 0; e < edits; ++e) {
      switch (pick(5)) {
        case 0:
          if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng());
          break;
        case 1:
          s.resize(pick(s.size() + 1));
          break;
        case 2:
          s.insert(pick(s.size() + 1), 1, static_cast<char>(rng()));
          break;
        case 3: {
          const std::string& other = corpus[pick(corpus.size())];
          std::size_t at = pick(other.size() + 1);
          s += other.substr(at, pick(64));
          break;
        }
        default:
          if (!s.empty()) s.insert(pick(s.size() + 1), s.substr(pick(s.size()), pick(16)));
      }
    }
    run(s);
  }
  std::printf("replayed %zu corpus files and %ld mutations\n", corpus.size(), mutations);
  return 0;
}
