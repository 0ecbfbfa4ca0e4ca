package handlers

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/hookstream/hookstream"
)

// errTooLarge is the 413 of a body over the webhook's limit.
func errTooLarge(limit int64) error {
	return hookstream.Errorf(hookstream.ETOOLARGE, "body exceeds this webhook's limit of %d bytes", limit)
}

// readBody reads the whole body through http.MaxBytesReader (never a
// truncating reader): a body over limit — announced by Content-Length,
// streamed chunked, or reached only after Content-Encoding decompression —
// is a 413 and nothing of it is kept but the prefix read (for the
// webhook.rejected event). gzip, x-gzip and deflate are decoded; identity
// is accepted; any other encoding is a 415.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, errTooLarge(limit)
	}
	var rd io.Reader = http.MaxBytesReader(w, r.Body, limit)
	encodings := contentEncodings(r.Header)
	for i := len(encodings) - 1; i >= 0; i-- {
		switch encodings[i] {
		case "gzip", "x-gzip":
			gz, err := gzip.NewReader(rd)
			if err != nil {
				if isMaxBytes(err) {
					return nil, errTooLarge(limit)
				}
				return nil, hookstream.Errorf(hookstream.EINVALID, "body is not valid gzip")
			}
			defer gz.Close()
			rd = http.MaxBytesReader(nil, gz, limit)
		case "deflate":
			fl := flate.NewReader(rd)
			defer fl.Close()
			rd = http.MaxBytesReader(nil, fl, limit)
		case "identity":
		default:
			return nil, hookstream.Errorf(hookstream.EUNSUPPORTED, "unsupported Content-Encoding %q (gzip, deflate or identity)", encodings[i])
		}
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && len(encodings) == 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err = buf.ReadFrom(rd)
	if err != nil {
		if isMaxBytes(err) {
			return buf.Bytes(), errTooLarge(limit)
		}
		if len(encodings) > 0 && !errors.Is(err, io.ErrUnexpectedEOF) {
			return buf.Bytes(), hookstream.Errorf(hookstream.EINVALID, "body could not be decoded (%s)", strings.Join(encodings, ", "))
		}
		return buf.Bytes(), fmt.Errorf("read body: %w", err)
	}
	return buf.Bytes(), nil
}

func isMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// contentEncodings lists the Content-Encoding codings, lower case, in the
// order they were applied.
func contentEncodings(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Content-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			if p := strings.ToLower(strings.TrimSpace(part)); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// mediaType returns the lower-case media type of a Content-Type ("" when
// absent or unparsable).
func mediaType(ct string) string {
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
		mt = strings.TrimSpace(mt)
	}
	return strings.ToLower(mt)
}

// acceptsType reports whether media type mt matches one of the webhook's
// contentTypes (empty: any). Entries may be "type/*" or "*/*".
func acceptsType(accepted []string, mt string) bool {
	if len(accepted) == 0 {
		return true
	}
	for _, a := range accepted {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "*/*", a == mt:
			return true
		case strings.HasSuffix(a, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(a, "*")):
			return true
		}
	}
	return false
}

func isJSONType(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json"
}

func isTextType(mt string) bool {
	return strings.HasPrefix(mt, "text/") || mt == "application/xml" || strings.HasSuffix(mt, "+xml") ||
		mt == "application/javascript" || mt == "application/x-ndjson" || mt == "application/graphql"
}

func isBinaryType(mt string) bool {
	switch {
	case mt == "application/octet-stream", mt == "application/pdf", mt == "application/zip",
		mt == "application/gzip", mt == "application/protobuf", mt == "application/x-protobuf",
		mt == "application/msgpack", mt == "application/cbor",
		strings.HasPrefix(mt, "image/"), strings.HasPrefix(mt, "audio/"), strings.HasPrefix(mt, "video/"):
		return true
	}
	return false
}

// jsonTooDeep reports whether JSON text nests objects and arrays deeper
// than maxDepth ({} is depth 1). It scans bytes with a counter, never recursing,
// so any depth is safe; it does not validate (json.Valid does, after).
func jsonTooDeep(data []byte, maxDepth int) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// checkJSON refuses malformed, too-deep or non-UTF-8 JSON with a 400.
// RFC 8259 §8.1 requires JSON exchanged between systems to be UTF-8;
// encoding/json accepts invalid bytes inside strings, so they are checked
// here: such a body would be acknowledged but could not be shown as the
// JSON it claims to be.
func checkJSON(body []byte, maxDepth int) error {
	if jsonTooDeep(body, maxDepth) {
		return hookstream.Errorf(hookstream.EINVALID, "JSON nested deeper than %d levels", maxDepth)
	}
	if !json.Valid(body) {
		return hookstream.Errorf(hookstream.EINVALID, "malformed JSON body")
	}
	if !utf8.Valid(body) {
		return hookstream.Errorf(hookstream.EINVALID, "JSON body is not valid UTF-8 (RFC 8259 §8.1)")
	}
	return nil
}

// encodedBody is a body as stored in webhook.received (SPEC §2).
type encodedBody struct {
	JSON     json.RawMessage // the body value
	Encoding string          // "base64" for binary bodies
	IsJSON   bool            // the body is a JSON document
}

// encodeBody turns the raw body into its stored form: a JSON body as its
// value, a form as an object (one value: a string; several: an array), XML
// and other text as a string, anything else as base64 with bodyEncoding.
// A body without a Content-Type that is valid JSON is stored as JSON.
func encodeBody(mt string, body []byte, maxDepth int) encodedBody {
	if len(bytes.TrimSpace(body)) == 0 {
		if len(body) == 0 {
			return encodedBody{}
		}
		return encodedBody{JSON: mustJSON(string(body))}
	}
	switch {
	case isJSONType(mt):
		return encodedBody{JSON: json.RawMessage(body), IsJSON: true}
	case mt == "application/x-www-form-urlencoded":
		if vals, err := url.ParseQuery(string(body)); err == nil && utf8.Valid(body) {
			obj := make(map[string]any, len(vals))
			for k, v := range vals {
				if len(v) == 1 {
					obj[k] = v[0]
				} else {
					obj[k] = v
				}
			}
			return encodedBody{JSON: mustJSON(obj)}
		}
	case mt == "" && utf8.Valid(body) && !jsonTooDeep(body, maxDepth) && json.Valid(body):
		return encodedBody{JSON: json.RawMessage(body), IsJSON: true}
	}
	if utf8.Valid(body) && (isTextType(mt) || !isBinaryType(mt) && !bytes.ContainsRune(body, 0)) {
		return encodedBody{JSON: mustJSON(string(body))}
	}
	return encodedBody{JSON: mustJSON(base64.StdEncoding.EncodeToString(body)), Encoding: "base64"}
}

func mustJSON(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return raw
}
