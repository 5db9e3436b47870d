package main

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/converter"
)

// maxCodecBody bounds one encode/decode request (the UI sends a page of payloads at a time).
const maxCodecBody = 32 << 20

// CodecServer serves the Temporal codec server protocol (POST /codec/encode, /codec/decode) so
// the Web UI and `temporal workflow show --codec-endpoint` show decrypted payloads to an
// operator with the ops token. Origins lists the browser origins (the Web UI) allowed by CORS;
// LocalUIWithoutToken lets those origins decode without the token (local stack only: the
// configuration refuses it in production and off loopback).
type CodecServer struct {
	Codec               converter.PayloadCodec // nil: no key configured, the routes answer 404
	Origins             []string
	LocalUIWithoutToken bool
	handler             http.Handler
}

func (s *Server) codecRoute(c echo.Context) error {
	cs := &s.Codec
	if cs.Codec == nil {
		return fail(http.StatusNotFound, "no codec: PAYLOAD_ENCRYPTION_KEYS is not set, payloads are not encrypted")
	}
	if op := c.Param("op"); op != "encode" && op != "decode" {
		return fail(http.StatusNotFound, "unknown codec route %q: /codec/encode or /codec/decode", op)
	}
	origin := c.Request().Header.Get("Origin")
	allowed := origin != "" && slices.Contains(cs.Origins, origin)
	if allowed {
		h := c.Response().Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
	}
	switch c.Request().Method {
	case http.MethodOptions: // CORS preflight from the Web UI
		if !allowed {
			return fail(http.StatusForbidden, "origin %q is not in CODEC_CORS_ORIGINS", origin)
		}
		h := c.Response().Header()
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
		h.Set("Access-Control-Max-Age", "600")
		return c.NoContent(http.StatusNoContent)
	case http.MethodPost:
	default:
		return fail(http.StatusMethodNotAllowed, "the codec routes take POST")
	}
	if !s.hasOpsToken(c) && !(cs.LocalUIWithoutToken && allowed) {
		return fail(http.StatusUnauthorized, "codec routes need Authorization: Bearer <OPS_API_TOKEN>")
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxCodecBody)
	cs.handler.ServeHTTP(c.Response(), c.Request()) // the SDK's handler: the path's suffix names the operation
	return nil
}
