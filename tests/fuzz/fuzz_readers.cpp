// libFuzzer harness: every reader must turn any bytes into data or a sapper::Error, never a crash,
// a hang, a sanitizer report or an allocation beyond what the file size allows. The first byte
// picks the target; the rest is the file (or the header text, beside a fixed valid data file).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "sapper/core/error.hpp"
#include "sapper/io.hpp"

namespace {

namespace fs = std::filesystem;

fs::path make_dir() {
  auto p = fs::temp_directory_path() / ("sapper_fuzz_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}
const fs::path& dir() {
  static const fs::path d = make_dir();
  static const int cleanup = std::atexit([] {
    std::error_code ec;
    fs::remove_all(dir(), ec);
  });
  (void)cleanup;
  return d;
}

void put(const fs::path& p, const std::uint8_t* d, std::size_t n) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(d), std::streamsize(n));
}
void put(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// Small valid companions for fuzzing one file of a pair.
const std::string kHd = "1234\nXLINE\nNUMBER OF TRACES = 2\nNUMBER OF PTS/TRC = 4\nTIMEZERO AT POINT = 1\n"
                        "TOTAL TIME WINDOW = 3.2\nSTARTING POSITION = 0\nFINAL POSITION = 1\nSTEP SIZE USED = 1\n"
                        "POSITION UNITS = m\nNOMINAL FREQUENCY = 200\n";
const std::string kRad = "SAMPLES:4\nFREQUENCY:1000\nDISTANCE FLAG:1\nDISTANCE INTERVAL:0.05\nANTENNAS:500 MHz\n";
std::string dt1_data() {  // 2 traces of a 128-byte header + 4 int16
  std::string s;
  for (int k = 0; k < 2; ++k) {
    float h[32] = {};
    h[0] = float(k + 1), h[1] = float(k), h[2] = 4, h[5] = 2, h[6] = 3.2f;
    s.append(reinterpret_cast<const char*>(h), 128);
    s.append(8, '\1');
  }
  return s;
}

/// A small valid DZT for the sidecars to sit beside (written once per process).
std::string dzt_beside(const std::string& stem) {
  const auto p = (dir() / (stem + ".dzt")).string();
  if (!fs::exists(p)) {
    sapper::io::GprFile<float> f;
    sapper::BScan<float> b;
    b.data = sapper::Matrix<float>::Constant(4, 6, 1.0f);
    b.format = {4, 0.1, 0};
    f.channels.push_back(b);
    sapper::io::write_dzt(p, f);
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int target = data[0] % 13;
  ++data, --size;
  try {
    switch (target) {
      case 0:  // DZT bytes
        put(dir() / "f.dzt", data, size);
        sapper::io::read_gpr<float>((dir() / "f.dzt").string());
        break;
      case 1:  // DT1 bytes beside a valid HD
        put(dir() / "a.hd", kHd);
        put(dir() / "a.dt1", data, size);
        sapper::io::read_gpr<float>((dir() / "a.dt1").string());
        break;
      case 2:  // HD text beside a valid DT1
        put(dir() / "b.hd", data, size);
        put(dir() / "b.dt1", dt1_data());
        sapper::io::read_gpr<float>((dir() / "b.dt1").string());
        break;
      case 3:  // RD3 bytes beside a valid RAD
        put(dir() / "c.rad", kRad);
        put(dir() / "c.rd3", data, size);
        sapper::io::read_gpr<double>((dir() / "c.rd3").string());
        break;
      case 4:  // RAD text beside a valid RD3
        put(dir() / "d.rad", data, size);
        put(dir() / "d.rd3", std::string(16, '\2'));
        sapper::io::read_gpr<float>((dir() / "d.rd3").string());
        break;
      case 6:  // SEG-Y bytes
        put(dir() / "e.sgy", data, size);
        sapper::io::read_gpr<float>((dir() / "e.sgy").string());
        break;
      case 7:  // magnetometer line data (CSV presets, preamble, column mapping)
        put(dir() / "g.csv", data, size);
        sapper::io::read_mag_csv((dir() / "g.csv").string());
        break;
      case 8:  // IAGA-2002 base station
        put(dir() / "h.iaga", data, size);
        sapper::io::read_iaga2002((dir() / "h.iaga").string());
        break;
      case 9:  // Geometrics G-858 STN text
        put(dir() / "i.stn", data, size);
        sapper::io::read_g858((dir() / "i.stn").string());
        break;
      case 10:  // DZG text beside a valid DZT
        put(dir() / "j.dzg", data, size);
        sapper::io::read_dzt<float>(dzt_beside("j"));
        break;
      case 11:  // DZX text beside a valid DZT
        put(dir() / "k.dzx", data, size);
        sapper::io::read_dzt<float>(dzt_beside("k"));
        break;
      case 12:  // G-858 project .config text beside a valid STN
        put(dir() / "l.config", data, size);
        put(dir() / "l.stn", "0   50001.000  50011.000 10:00:01.00 01/02/20   0\n0   50000.000  50010.000 10:00:00.00 01/02/20   0\n");
        sapper::io::read_g858((dir() / "l.stn").string());
        break;
      default:  // one NMEA sentence
        sapper::io::parse_nmea(std::string_view(reinterpret_cast<const char*>(data), size));
    }
  } catch (const sapper::Error&) {
  }
  return 0;
}
