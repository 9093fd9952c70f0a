package session_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"hoctap/session"
)

func TestConnectForms(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url  string
		want string // the client's type; "" for a URL refused
	}{
		{"redis://127.0.0.1:6379/3", "single"},
		{"rediss://user:pw@example.org:6380/0", "single"},
		{"redis+sentinel://127.0.0.1:26379/2?master_name=main&addr=127.0.0.2:26379", "sentinel"},
		{"redis+cluster://127.0.0.1:7000?addr=127.0.0.1:7001", "cluster"},
		{"redis+sentinel://127.0.0.1:26379/0", ""},
		{"redis+cluster://127.0.0.1:7000?bogus=1", ""},
		{"http://127.0.0.1:6379", ""},
		{"garbage", ""},
	} {
		rdb, err := session.Connect(tt.url)
		got := ""
		switch c := rdb.(type) {
		case *redis.Client: // a Sentinel client is one too, that asks the sentinels for its address
			got = "single"
			if c.Options().Addr == "FailoverClient" {
				got = "sentinel"
			}
			if c.Options().Addr == "127.0.0.1:6379" && c.Options().DB != 3 {
				t.Errorf("%s: database %d", tt.url, c.Options().DB)
			}
		case *redis.ClusterClient:
			got = "cluster"
		}
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("%s: %s client, %v; want %q", tt.url, got, err, tt.want)
		}
		if err != nil && err.Error() != "not a redis://, redis+sentinel:// or redis+cluster:// URL" && err.Error() != "a Sentinel URL without master_name=" {
			t.Errorf("%s: error %q", tt.url, err)
		}
		if rdb != nil {
			rdb.Close()
		}
	}
}
