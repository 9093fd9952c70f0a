package session

import (
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Connect makes a Redis client from a URL (no connection is made until it
// is used). Three forms:
//
//	redis://[user:password@]host:port/N       one server, database N (rediss:// for TLS)
//	redis+sentinel://[user:password@]host:port/N?master_name=NAME[&addr=host2:port...]
//	                                          a Sentinel-watched primary; the addresses are the sentinels'
//	redis+cluster://[user:password@]host:port[?addr=host2:port...]
//	                                          a Redis Cluster, found from any of its nodes
//
// rediss+sentinel:// and rediss+cluster:// are the same over TLS. Further
// query parameters are go-redis options (dial_timeout=3s, ...).
func Connect(url string) (redis.UniversalClient, error) {
	dial, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	return dial(), nil
}

// CheckURL reports what is wrong with a Redis URL, without the URL (it may
// hold a password) in the error.
func CheckURL(url string) error {
	_, err := parseURL(url)
	return err
}

func parseURL(url string) (func() redis.UniversalClient, error) {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return nil, errBadURL
	}
	base, kind, _ := strings.Cut(scheme, "+")
	if base != "redis" && base != "rediss" {
		return nil, errBadURL
	}
	plain := base + "://" + rest
	switch kind {
	case "":
		opt, err := redis.ParseURL(plain)
		if err != nil {
			return nil, errBadURL
		}
		return func() redis.UniversalClient { return redis.NewClient(opt) }, nil
	case "sentinel":
		opt, err := redis.ParseFailoverURL(plain)
		if err != nil {
			return nil, errBadURL
		}
		if opt.MasterName == "" {
			return nil, errors.New("a Sentinel URL without master_name=")
		}
		return func() redis.UniversalClient { return redis.NewFailoverClient(opt) }, nil
	case "cluster":
		opt, err := redis.ParseClusterURL(plain)
		if err != nil {
			return nil, errBadURL
		}
		return func() redis.UniversalClient { return redis.NewClusterClient(opt) }, nil
	}
	return nil, errBadURL
}

// errBadURL hides go-redis's reasons, which may quote the URL.
var errBadURL = errors.New("not a redis://, redis+sentinel:// or redis+cluster:// URL")
