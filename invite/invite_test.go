package invite

import (
	"regexp"
	"strings"
	"testing"
)

func TestPayload(t *testing.T) {
	key, other := []byte(strings.Repeat("k", KeySize)), []byte(strings.Repeat("o", KeySize))
	allowed := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	for _, id := range []int64{1, 42, 1 << 40} {
		p := Payload(key, id)
		if !allowed.MatchString(p) {
			t.Errorf("payload %q is not what Telegram takes", p)
		}
		if got, err := Read(key, p); err != nil || got != id {
			t.Errorf("Read(%q) = %d, %v", p, got, err)
		}
		if _, err := Read(other, p); err != ErrInvalid {
			t.Errorf("read with another key: %v", err)
		}
	}
	good := Payload(key, 42)
	sig := good[strings.Index(good, "-"):]
	for _, bad := range []string{"", "-", "17" + sig, good + "x", good[:len(good)-1], strings.Repeat("a", 65), "0" + sig, "zz"} {
		if _, err := Read(key, bad); err != ErrInvalid {
			t.Errorf("Read(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
