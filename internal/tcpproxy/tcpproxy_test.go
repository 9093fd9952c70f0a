package tcpproxy_test

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"hoctap/internal/tcpproxy"
)

// echo starts a server that writes back every line it reads.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip dials addr, sends a line and reads it back.
func roundTrip(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	return lineThrough(c)
}

func lineThrough(c net.Conn) error {
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func TestCutAndRestore(t *testing.T) {
	p, err := tcpproxy.New(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	kept, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	if err := lineThrough(kept); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}

	p.Cut()
	if err := lineThrough(kept); err == nil {
		t.Error("a connection open before Cut still works")
	}
	if err := roundTrip(p.Addr()); err == nil {
		t.Error("a new connection works while cut")
	}

	p.Restore()
	if err := roundTrip(p.Addr()); err != nil {
		t.Errorf("after Restore: %v", err)
	}
}

func TestUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p, err := tcpproxy.New(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := roundTrip(p.Addr()); err == nil {
		t.Error("a connection to an unreachable target works")
	}
}

func TestSetTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	p, err := tcpproxy.New(gone)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetTarget(echo(t))
	if err := roundTrip(p.Addr()); err != nil {
		t.Errorf("to the new target: %v", err)
	}
}
