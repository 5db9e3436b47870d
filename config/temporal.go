package config

import (
	"crypto/tls"
	"fmt"

	"go.temporal.io/sdk/client"
)

// ClientOptions are the Temporal client options for these settings: plain for the dev
// server, mTLS with a client certificate, or an API key (Temporal Cloud). Requests go
// uncompressed: their payloads are encrypted (incompressible), and the SDK's default gzip cost
// the ingress most of its CPU per webhook (BENCHMARKS.md, section 1).
func (t Temporal) ClientOptions() (client.Options, error) {
	opts := client.Options{HostPort: t.Address, Namespace: t.Namespace,
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: &client.GrpcCompressionNone{}}}
	switch {
	case t.TLSCertFile != "" || t.TLSKeyFile != "":
		cert, err := tls.LoadX509KeyPair(t.TLSCertFile, t.TLSKeyFile)
		if err != nil {
			return opts, fmt.Errorf("configuration: TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: %w", err)
		}
		opts.ConnectionOptions.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	case t.APIKey != "":
		opts.Credentials = client.NewAPIKeyStaticCredentials(t.APIKey)
		opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return opts, nil
}
