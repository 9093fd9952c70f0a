// Package invite makes and reads the payloads of invitation links
// (https://t.me/<bot>?start=<payload>): an invitation's number and a
// signature of it with the installation's key, so that a payload nobody
// was given — a number changed, a signature guessed — is refused before
// any lookup. A payload is at most 64 characters of A-Za-z0-9_- as
// Telegram takes it.
package invite

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// KeySize is the size of an installation's signing key, in bytes.
const KeySize = 32

// MaxPayload is the longest payload Telegram passes to /start.
const MaxPayload = 64

// ErrInvalid is a payload that was not made with the key.
var ErrInvalid = errors.New("not a valid invitation")

// sigSize is how much of the HMAC a payload carries: 96 bits.
const sigSize = 12

// Payload returns the payload of invitation id, signed with key.
func Payload(key []byte, id int64) string {
	num := strconv.FormatInt(id, 36)
	return num + "-" + base64.RawURLEncoding.EncodeToString(sign(key, num))
}

// Read returns the invitation a payload names, once its signature is
// checked; ErrInvalid otherwise.
func Read(key []byte, payload string) (int64, error) {
	num, sig, ok := strings.Cut(payload, "-")
	if !ok || len(payload) > MaxPayload || num == "" {
		return 0, ErrInvalid
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, sign(key, num)) {
		return 0, ErrInvalid
	}
	id, err := strconv.ParseInt(num, 36, 64)
	if err != nil || id <= 0 {
		return 0, ErrInvalid
	}
	return id, nil
}

func sign(key []byte, num string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("hoctap invitation " + num))
	return mac.Sum(nil)[:sigSize]
}
