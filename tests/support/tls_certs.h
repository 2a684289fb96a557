// Test helper: a throw-away PKI made with the openssl command in a folder of the test's: a CA, and
// server certificates it signs (EC P-256, valid for the names given as subjectAltName), plus a
// second, unrelated CA whose trust proves nothing. ok() is false (error() says why) when openssl
// fails.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace parley::testing {

class TestPki {
 public:
  explicit TestPki(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    ok_ = make_ca("ca") && make_ca("other-ca") && make_server("server", "IP:127.0.0.1,IP:::1,DNS:localhost");
  }

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  std::string ca_cert() const { return dir_ + "/ca.pem"; }
  std::string other_ca_cert() const { return dir_ + "/other-ca.pem"; }
  std::string server_cert() const { return dir_ + "/server.pem"; }
  std::string server_key() const { return dir_ + "/server.key"; }

  // Another certificate signed by the CA (cert `name`.pem, key `name`.key) for names `san`
  // ("IP:127.0.0.1,DNS:localhost"), its subject's CN being `name`.
  bool make_server(const std::string& name, const std::string& san) {
    std::string base = dir_ + "/" + name;
    std::ofstream(base + ".ext") << "subjectAltName=" << san << "\nbasicConstraints=CA:FALSE\n"
                                 << "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n";
    return run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + base +
               ".key -subj /CN=" + name + " -out " + base + ".csr") &&
           run("openssl x509 -req -in " + base + ".csr -CA " + dir_ + "/ca.pem -CAkey " + dir_ +
               "/ca.key -CAcreateserial -days 2 -sha256 -extfile " + base + ".ext -out " + base + ".pem");
  }

 private:
  bool make_ca(const std::string& name) {
    std::string base = dir_ + "/" + name;
    return run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + base +
               ".key -subj /CN=parley-test-" + name + " -days 2 -addext basicConstraints=critical,CA:TRUE -addext "
               "keyUsage=critical,keyCertSign,cRLSign -out " + base + ".pem");
  }

  bool run(const std::string& command) {
    std::string full = command + " >>" + dir_ + "/openssl.log 2>&1";
    if (std::system(full.c_str()) == 0) return true;
    error_ = "failed: " + command + " (see " + dir_ + "/openssl.log)";
    return false;
  }

  std::string dir_;
  bool ok_ = false;
  std::string error_;
};

}  // namespace parley::testing
