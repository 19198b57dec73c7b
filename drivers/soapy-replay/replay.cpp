// subgate's SoapySDR replay device: plays a SigMF data file back through the real SoapySDR
// library, so the whole-band receiver's SoapySDR source (enumeration, stream set-up, rates,
// timestamps, timeouts, overflow flags) is tested without hardware.
//
// Device arguments (SoapySDR key=value pairs; "driver=replay" selects it):
//   file=PATH          the .sigmf-data file (required; enumeration lists nothing without it)
//   datatype=T         cf32_le (default), ci16_le or ci8: the file's sample format
//   rate=R             the recording's sample rate: setSampleRate must ask for it
//   freq=F             the recording's centre frequency: setFrequency must ask for it
//   overflow_at=N      once the stream reaches sample N, drop overflow_drop samples and
//                      report SOAPY_SDR_OVERFLOW, as a radio whose host fell behind does
//   overflow_drop=M    samples dropped at the overflow (default 4096)
//   fail=open          the device fails to open (for error tests)
//   tx_file=PATH       gives the device a transmitter: samples written to its stream are
//                      appended to PATH as cf32_le
//
// The last samples come with SOAPY_SDR_END_BURST; reads after the end time out.
// Every read carries SOAPY_SDR_HAS_TIME with the time of its first sample (sample index /
// rate), so a dropped stretch shows as a jump in time.
//
// Built by .ci/run (and by the tests) with:
//   g++ -std=c++17 -O2 -shared -fPIC replay.cpp -o libsubgateReplay.so $(pkg-config --cflags --libs SoapySDR)
// and found through SOAPY_SDR_PLUGIN_PATH.

#include <SoapySDR/Device.hpp>
#include <SoapySDR/Errors.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Logger.hpp>
#include <SoapySDR/Registry.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

size_t bytes_per_sample(const std::string &datatype) {
    if (datatype == "cf32_le") return 8;
    if (datatype == "ci16_le") return 4;
    if (datatype == "ci8") return 2;
    throw std::runtime_error("replay: unknown datatype '" + datatype + "' (cf32_le, ci16_le or ci8)");
}

std::string arg_or(const SoapySDR::Kwargs &args, const std::string &key, const std::string &fallback) {
    auto it = args.find(key);
    return it == args.end() ? fallback : it->second;
}

double number(const SoapySDR::Kwargs &args, const std::string &key, double fallback) {
    auto it = args.find(key);
    if (it == args.end()) return fallback;
    try {
        size_t used = 0;
        double v = std::stod(it->second, &used);
        if (used != it->second.size()) throw std::invalid_argument(key);
        return v;
    } catch (const std::exception &) {
        throw std::runtime_error("replay: " + key + "=" + it->second + " is not a number");
    }
}

class ReplayDevice : public SoapySDR::Device {
  public:
    explicit ReplayDevice(const SoapySDR::Kwargs &args)
        : path_(arg_or(args, "file", "")),
          datatype_(arg_or(args, "datatype", "cf32_le")),
          want_rate_(number(args, "rate", 0.0)),
          want_freq_(number(args, "freq", 0.0)),
          overflow_at_(number(args, "overflow_at", -1.0)),
          overflow_drop_(number(args, "overflow_drop", 4096.0)),
          tx_path_(arg_or(args, "tx_file", "")) {
        if (arg_or(args, "fail", "") == "open") {
            throw std::runtime_error("replay: device failed to open (fail=open)");
        }
        rate_ = want_rate_ > 0.0 ? want_rate_ : 1e6;
        freq_ = want_freq_ > 0.0 ? want_freq_ : 915e6;
        if (path_.empty()) {
            if (tx_path_.empty()) throw std::runtime_error("replay: no file= or tx_file= given");
            return;  // a transmitter only
        }
        sample_bytes_ = bytes_per_sample(datatype_);
        file_.open(path_, std::ios::binary);
        if (!file_) throw std::runtime_error("replay: cannot open " + path_);
        file_.seekg(0, std::ios::end);
        const auto size = static_cast<long long>(file_.tellg());
        if (size % static_cast<long long>(sample_bytes_) != 0) {
            throw std::runtime_error("replay: " + path_ + " is not a whole number of " + datatype_ + " samples");
        }
        total_ = static_cast<size_t>(size) / sample_bytes_;
    }

    std::string getDriverKey() const override { return "replay"; }
    std::string getHardwareKey() const override { return "subgate-replay"; }
    SoapySDR::Kwargs getHardwareInfo() const override {
        SoapySDR::Kwargs info;
        info["file"] = path_;
        info["samples"] = std::to_string(total_);
        return info;
    }

    size_t getNumChannels(const int direction) const override {
        if (direction == SOAPY_SDR_RX) return path_.empty() ? 0 : 1;
        return tx_path_.empty() ? 0 : 1;
    }

    std::vector<std::string> getStreamFormats(const int, const size_t) const override {
        return {SOAPY_SDR_CF32, SOAPY_SDR_CS16};
    }
    std::string getNativeStreamFormat(const int, const size_t, double &fullScale) const override {
        fullScale = 1.0;
        return SOAPY_SDR_CF32;
    }

    SoapySDR::Stream *setupStream(const int direction, const std::string &format, const std::vector<size_t> &channels,
                                  const SoapySDR::Kwargs &) override {
        if (getNumChannels(direction) == 0) {
            throw std::runtime_error(direction == SOAPY_SDR_RX ? "replay: no file= to receive from"
                                                               : "replay: no tx_file= to transmit to");
        }
        if (channels.size() > 1 || (channels.size() == 1 && channels[0] != 0)) {
            throw std::runtime_error("replay: one channel (0) only");
        }
        if (format != SOAPY_SDR_CF32 && format != SOAPY_SDR_CS16) {
            throw std::runtime_error("replay: stream format " + format + " not supported (CF32, CS16)");
        }
        if (direction == SOAPY_SDR_TX) {
            tx_format_ = format;
            tx_.open(tx_path_, std::ios::binary | std::ios::app);
            if (!tx_) throw std::runtime_error("replay: cannot write " + tx_path_);
            return reinterpret_cast<SoapySDR::Stream *>(&tx_);
        }
        format_ = format;
        return reinterpret_cast<SoapySDR::Stream *>(this);
    }
    void closeStream(SoapySDR::Stream *stream) override {
        if (stream == reinterpret_cast<SoapySDR::Stream *>(&tx_)) {
            tx_.close();
        } else {
            active_ = false;
        }
    }

    int writeStream(SoapySDR::Stream *stream, const void *const *buffs, const size_t numElems, int &flags,
                    const long long, const long) override {
        if (stream != reinterpret_cast<SoapySDR::Stream *>(&tx_) || !tx_.is_open()) return SOAPY_SDR_STREAM_ERROR;
        const size_t n = std::min(numElems, kMtu);
        for (size_t i = 0; i < n; i++) {
            float iq[2];
            if (tx_format_ == SOAPY_SDR_CF32) {
                const auto v = static_cast<const std::complex<float> *>(buffs[0])[i];
                iq[0] = v.real();
                iq[1] = v.imag();
            } else {
                const auto *in = static_cast<const int16_t *>(buffs[0]);
                iq[0] = in[2 * i] / 32768.0f;
                iq[1] = in[2 * i + 1] / 32768.0f;
            }
            tx_.write(reinterpret_cast<const char *>(iq), sizeof iq);
        }
        if (flags & SOAPY_SDR_END_BURST) tx_.flush();
        flags = 0;
        return tx_ ? static_cast<int>(n) : SOAPY_SDR_STREAM_ERROR;
    }
    size_t getStreamMTU(SoapySDR::Stream *) const override { return kMtu; }
    int activateStream(SoapySDR::Stream *, const int, const long long, const size_t) override {
        active_ = true;
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *, const int, const long long) override {
        active_ = false;
        return 0;
    }

    int readStream(SoapySDR::Stream *, void *const *buffs, const size_t numElems, int &flags, long long &timeNs,
                   const long) override {
        flags = 0;
        if (!active_) return SOAPY_SDR_STREAM_ERROR;
        if (overflow_at_ >= 0.0 && !overflowed_ && pos_ >= static_cast<size_t>(overflow_at_)) {
            overflowed_ = true;
            pos_ = std::min(total_, pos_ + static_cast<size_t>(overflow_drop_));
            SoapySDR::logf(SOAPY_SDR_SSI, "O");
            return SOAPY_SDR_OVERFLOW;
        }
        if (pos_ >= total_) return SOAPY_SDR_TIMEOUT;
        size_t n = std::min({numElems, kMtu, total_ - pos_});
        if (overflow_at_ >= 0.0 && !overflowed_ && pos_ < static_cast<size_t>(overflow_at_)) {
            n = std::min(n, static_cast<size_t>(overflow_at_) - pos_);
        }
        raw_.resize(n * sample_bytes_);
        file_.clear();
        file_.seekg(static_cast<std::streamoff>(pos_ * sample_bytes_));
        file_.read(reinterpret_cast<char *>(raw_.data()), static_cast<std::streamsize>(raw_.size()));
        if (static_cast<size_t>(file_.gcount()) != raw_.size()) return SOAPY_SDR_STREAM_ERROR;
        for (size_t i = 0; i < n; i++) {
            const std::complex<float> v = sample(i);
            if (format_ == SOAPY_SDR_CF32) {
                static_cast<std::complex<float> *>(buffs[0])[i] = v;
            } else {
                auto *out = static_cast<int16_t *>(buffs[0]);
                out[2 * i] = to_i16(v.real());
                out[2 * i + 1] = to_i16(v.imag());
            }
        }
        flags |= SOAPY_SDR_HAS_TIME;
        timeNs = static_cast<long long>(std::llround(static_cast<double>(pos_) / rate_ * 1e9));
        pos_ += n;
        if (pos_ >= total_) flags |= SOAPY_SDR_END_BURST;
        return static_cast<int>(n);
    }

    void setSampleRate(const int, const size_t, const double rate) override {
        if (want_rate_ > 0.0 && std::abs(rate - want_rate_) > 1e-3) {
            throw std::runtime_error("replay: the recording was made at " + std::to_string(want_rate_) +
                                     " samples/s, not " + std::to_string(rate));
        }
        rate_ = rate;
    }
    double getSampleRate(const int, const size_t) const override { return rate_; }
    SoapySDR::RangeList getSampleRateRange(const int, const size_t) const override {
        return {SoapySDR::Range(1e3, 100e6)};
    }
    std::vector<double> listSampleRates(const int, const size_t) const override { return {rate_}; }

    void setFrequency(const int, const size_t, const double frequency, const SoapySDR::Kwargs &) override {
        if (want_freq_ > 0.0 && std::abs(frequency - want_freq_) > 1.0) {
            throw std::runtime_error("replay: the recording was made at " + std::to_string(want_freq_) +
                                     " Hz, not " + std::to_string(frequency));
        }
        freq_ = frequency;
    }
    double getFrequency(const int, const size_t) const override { return freq_; }
    SoapySDR::RangeList getFrequencyRange(const int, const size_t) const override {
        return {SoapySDR::Range(1e6, 6e9)};
    }

    std::vector<std::string> listGains(const int, const size_t) const override { return {"REPLAY"}; }
    void setGain(const int, const size_t, const double value) override { gain_ = value; }
    double getGain(const int, const size_t) const override { return gain_; }
    SoapySDR::Range getGainRange(const int, const size_t) const override { return SoapySDR::Range(0, 60); }

    void setBandwidth(const int, const size_t, const double bw) override { bandwidth_ = bw; }
    double getBandwidth(const int, const size_t) const override { return bandwidth_; }

    bool hasHardwareTime(const std::string &) const override { return true; }
    long long getHardwareTime(const std::string &) const override {
        return static_cast<long long>(static_cast<double>(pos_) / rate_ * 1e9);
    }

  private:
    static constexpr size_t kMtu = 65536;

    std::complex<float> sample(size_t i) const {
        const uint8_t *p = raw_.data() + i * sample_bytes_;
        if (datatype_ == "cf32_le") {
            float re, im;
            std::copy(p, p + 4, reinterpret_cast<uint8_t *>(&re));
            std::copy(p + 4, p + 8, reinterpret_cast<uint8_t *>(&im));
            return {re, im};
        }
        if (datatype_ == "ci16_le") {
            const int16_t re = static_cast<int16_t>(p[0] | (p[1] << 8));
            const int16_t im = static_cast<int16_t>(p[2] | (p[3] << 8));
            return {re / 32768.0f, im / 32768.0f};
        }
        return {static_cast<int8_t>(p[0]) / 128.0f, static_cast<int8_t>(p[1]) / 128.0f};
    }

    static int16_t to_i16(float v) {
        const float s = std::round(v * 32767.0f);
        return static_cast<int16_t>(std::max(-32768.0f, std::min(32767.0f, s)));
    }

    std::string path_;
    std::string datatype_;
    double want_rate_;
    double want_freq_;
    double overflow_at_;
    double overflow_drop_;
    std::string tx_path_;
    std::ofstream tx_;
    std::string tx_format_ = SOAPY_SDR_CF32;
    size_t sample_bytes_ = 8;
    std::ifstream file_;
    size_t total_ = 0;
    size_t pos_ = 0;
    bool active_ = false;
    bool overflowed_ = false;
    std::string format_ = SOAPY_SDR_CF32;
    std::vector<uint8_t> raw_;
    double rate_;
    double freq_;
    double gain_ = 0.0;
    double bandwidth_ = 0.0;
};

SoapySDR::KwargsList find_replay(const SoapySDR::Kwargs &args) {
    SoapySDR::KwargsList found;
    auto driver = args.find("driver");
    if (driver != args.end() && driver->second != "replay") return found;
    auto file = args.find("file");
    auto tx_file = args.find("tx_file");
    if (file == args.end() && tx_file == args.end()) return found;
    SoapySDR::Kwargs dev = args;
    dev["driver"] = "replay";
    dev["label"] = "subgate replay " + (file != args.end() ? "of " + file->second : "into " + tx_file->second);
    found.push_back(dev);
    return found;
}

SoapySDR::Device *make_replay(const SoapySDR::Kwargs &args) { return new ReplayDevice(args); }

SoapySDR::Registry register_replay("replay", &find_replay, &make_replay, SOAPY_SDR_ABI_VERSION);

}  // namespace
