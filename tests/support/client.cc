// The test clients' operations over plain TCP, instantiated once (a test file that includes
// support/client.h only calls them; support/tls_client.cc does the same for TLS).
#include "support/client_impl.h"

namespace parley::testing {

template class BasicHttpClient<TcpTransport>;
template class BasicWsClient<TcpTransport>;

}  // namespace parley::testing
