package blob

import (
	"encoding/binary"
	"hash/crc32"
	"math"
)

// pngKept are the chunks a stripped PNG keeps: the critical ones, those that
// change how pixels look (transparency, colour space, background, pixel
// size) and the APNG animation. Any other ancillary chunk is dropped: text
// (tEXt, zTXt, iTXt with XMP), eXIf, tIME and private or unknown ones.
var pngKept = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "cHRM": true, "gAMA": true, "iCCP": true, "sBIT": true,
	"sRGB": true, "cICP": true, "mDCV": true, "cLLI": true, "bKGD": true,
	"pHYs": true, "acTL": true, "fcTL": true, "fdAT": true,
}

// stripPNG walks the chunks of a PNG up to IEND and copies those in pngKept
// byte for byte; anything after IEND is dropped. A truncated chunk, a bad
// length or type, a kept chunk with a bad CRC, an unknown critical chunk or
// a missing IEND make it not an image.
func stripPNG(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in))
	out = append(out, pngMagic...)
	p := len(pngMagic)
	for {
		chunk, typ, err := pngChunk(in, p)
		if err != nil {
			return nil, err
		}
		p += len(chunk)
		keep, err := keepPNGChunk(typ, chunk)
		if err != nil {
			return nil, err
		}
		if keep {
			out = append(out, chunk...)
		}
		if typ == "IEND" {
			return out, nil
		}
	}
}

// pngChunk returns the chunk at in[p:] (length, type, data and CRC) and its
// type.
func pngChunk(in []byte, p int) (chunk []byte, typ string, err error) {
	if len(in)-p < 12 {
		return nil, "", notImage("PNG truncated at %d", p)
	}
	n := binary.BigEndian.Uint32(in[p:])
	if n > math.MaxInt32 {
		return nil, "", notImage("PNG chunk length %d at %d", n, p)
	}
	if uint64(len(in)-p-12) < uint64(n) {
		return nil, "", notImage("PNG chunk at %d truncated", p)
	}
	typ = string(in[p+4 : p+8])
	if !validChunkType(typ) {
		return nil, "", notImage("PNG chunk type %q at %d", typ, p)
	}
	return in[p : p+12+int(n)], typ, nil
}

// keepPNGChunk reports whether a chunk is kept, checking the CRC of those
// that are.
func keepPNGChunk(typ string, chunk []byte) (bool, error) {
	if !pngKept[typ] {
		if isCritical(typ) {
			return false, notImage("PNG unknown critical chunk %q", typ)
		}
		return false, nil
	}
	body := chunk[4 : len(chunk)-4]
	if crc32.ChecksumIEEE(body) != binary.BigEndian.Uint32(chunk[len(chunk)-4:]) {
		return false, notImage("PNG chunk %q: bad CRC", typ)
	}
	return true, nil
}

// validChunkType reports whether typ is four ASCII letters.
func validChunkType(typ string) bool {
	for i := 0; i < len(typ); i++ {
		c := typ[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// isCritical reports whether a chunk type is critical (upper-case first
// letter).
func isCritical(typ string) bool {
	return typ[0]&0x20 == 0
}
