// The original design's engine, for comparison: a producer thread and a consumer thread around a
// std::queue guarded by a mutex and a condition_variable, the consumer writing with ofstream.
// Usage: engine OUT.csv ROWS
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <queue>
#include <random>
#include <thread>

struct Sample {
  long long timestamp;
  double cpu;
  double ram;
};

static long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const long rows = std::atol(argv[2]);
  std::queue<Sample> queue;
  std::mutex mutex;
  std::condition_variable ready;
  bool done = false;

  std::thread producer([&] {
    std::mt19937 rng(1);
    std::uniform_real_distribution<double> percent(0.0, 100.0);
    for (long i = 0; i < rows; i++) {
      Sample s{now_ms(), percent(rng), percent(rng)};
      {
        std::lock_guard<std::mutex> lock(mutex);
        queue.push(s);
      }
      ready.notify_one();
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      done = true;
    }
    ready.notify_one();
  });

  std::ofstream out(argv[1]);
  out << "timestamp,cpu,ram\n" << std::fixed << std::setprecision(2);
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex);
    ready.wait(lock, [&] { return !queue.empty() || done; });
    if (queue.empty() && done) break;
    Sample s = queue.front();
    queue.pop();
    lock.unlock();
    out << s.timestamp << ',' << s.cpu << ',' << s.ram << '\n';
  }
  producer.join();
  return 0;
}
