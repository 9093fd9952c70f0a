package blob

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// Personal data planted in the samples; none of it may be stored.
const (
	personName = "Nguyen Van An"
	gpsDatum   = "WGS-84 GPS-MARKER"
	xmpGPS     = `<exif:GPSLatitude>21,1.71N</exif:GPSLatitude>`
	xmpNS      = "http://ns.adobe.com/xap/1.0/\x00"
)

// planted returns byte strings that must not survive stripping.
func planted() [][]byte {
	return [][]byte{
		[]byte("Exif\x00\x00"), []byte(gpsDatum), []byte(personName),
		[]byte(xmpGPS), []byte(xmpNS), exifTIFF()[8:40], []byte("tIME"),
		[]byte("after the end"),
	}
}

// sampleImage returns a small picture, different for each seed.
func sampleImage(seed int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 24; x++ {
			img.Set(x, y, color.RGBA{uint8(x*10 + seed), uint8(y * 15), uint8(seed * 40), 255})
		}
	}
	return img
}

func sampleJPEG(t testing.TB, seed int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, sampleImage(seed), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func samplePNG(t testing.TB, seed int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, sampleImage(seed)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifTIFF is a big-endian TIFF with IFD0 pointing to a GPS IFD holding a
// latitude, a longitude and a map datum.
func exifTIFF() []byte {
	const (
		ifd0   = 8
		gpsIFD = ifd0 + 2 + 12 + 4 // 26
		nGPS   = 5
		data   = gpsIFD + 2 + nGPS*12 + 4
	)
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.BigEndian, v) }
	entry := func(tag, typ uint16, count, value uint32) { w(tag); w(typ); w(count); w(value) }
	b.WriteString("MM\x00\x2a")
	w(uint32(ifd0))
	w(uint16(1))
	entry(0x8825, 4, 1, gpsIFD) // GPSInfo
	w(uint32(0))
	w(uint16(nGPS))
	entry(0x0001, 2, 2, 'N'<<24)                       // GPSLatitudeRef
	entry(0x0002, 5, 3, data)                          // GPSLatitude
	entry(0x0003, 2, 2, 'E'<<24)                       // GPSLongitudeRef
	entry(0x0004, 5, 3, data+24)                       // GPSLongitude
	entry(0x0012, 2, uint32(len(gpsDatum)+1), data+48) // GPSMapDatum
	w(uint32(0))
	for _, r := range []uint32{21, 1, 1, 1, 4275, 100, 105, 1, 51, 1, 1512, 100} {
		w(r)
	}
	b.WriteString(gpsDatum + "\x00")
	return b.Bytes()
}

func xmpPacket() string {
	return `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">` +
		`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description ` +
		`xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">` +
		xmpGPS + `<dc:creator>` + personName + `</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>` +
		`<?xpacket end="w"?>`
}

// segment returns a JPEG marker segment.
func segment(marker byte, payload string) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

// withJPEGMeta splices metadata into a JPEG from image/jpeg: Exif and XMP
// (APP1), IPTC (APP13) and a comment after SOI, plus JFIF, ICC and Adobe
// segments that must be kept; a comment between the scan and EOI; and a
// trailer after EOI.
func withJPEGMeta(jpg []byte) []byte {
	head := bytes.Join([][]byte{
		segment(0xE0, "JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
		segment(0xE1, "Exif\x00\x00"+string(exifTIFF())),
		{0xFF, 0xFF}, // fill bytes before the next marker
		segment(0xE1, xmpNS+xmpPacket()),
		segment(0xE2, "ICC_PROFILE\x00\x01\x01not really a profile"),
		segment(0xED, "Photoshop 3.0\x008BIM\x04\x04 by "+personName),
		segment(0xEE, "Adobe\x00\x64\x00\x00\x00\x00\x01"),
		segment(0xFE, "photo of "+personName),
	}, nil)
	end := len(jpg) - 2 // EOI
	var b bytes.Buffer
	b.Write(jpg[:2])
	b.Write(head)
	b.Write(jpg[2:end])
	b.Write(segment(0xFE, "taken by "+personName))
	b.Write(jpg[end:])
	b.WriteString("after the end Exif\x00\x00 " + gpsDatum)
	return b.Bytes()
}

// chunk returns a PNG chunk with its CRC.
func chunk(typ, data string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

// withPNGMeta splices text, eXIf and tIME chunks into a PNG from image/png
// after IHDR and before IEND, a pHYs chunk that must be kept, and a trailer
// after IEND.
func withPNGMeta(p []byte) []byte {
	const afterIHDR = 8 + 12 + 13
	meta := bytes.Join([][]byte{
		chunk("tEXt", "Author\x00"+personName),
		chunk("pHYs", "\x00\x00\x0b\x13\x00\x00\x0b\x13\x01"),
		chunk("eXIf", string(exifTIFF())),
		chunk("iTXt", "XML:com.adobe.xmp\x00\x00\x00\x00\x00"+xmpNS+xmpPacket()),
		chunk("tIME", "\x07\xea\x01\x02\x03\x04\x05"),
		chunk("zTXt", "Comment\x00\x00x\x9c\x01\x00\x00\xff\xff\x00\x00\x00\x01"),
		chunk("prVt", "private "+personName),
	}, nil)
	iend := len(p) - 12
	var b bytes.Buffer
	b.Write(p[:afterIHDR])
	b.Write(meta)
	b.Write(p[afterIHDR:iend])
	b.Write(chunk("tEXt", "Comment\x00"+personName))
	b.Write(p[iend:])
	b.WriteString("after the end " + gpsDatum)
	return b.Bytes()
}

// withExif inserts only metadata to drop into a JPEG: an Exif APP1 and a
// comment.
func withExif(jpg []byte) []byte {
	meta := append(segment(0xE1, "Exif\x00\x00"+string(exifTIFF())), segment(0xFE, personName)...)
	return bytes.Join([][]byte{jpg[:2], meta, jpg[2:]}, nil)
}

// withText inserts only metadata to drop into a PNG: a tEXt chunk.
func withText(p []byte) []byte {
	const afterIHDR = 8 + 12 + 13
	return bytes.Join([][]byte{p[:afterIHDR], chunk("tEXt", "Author\x00"+personName), p[afterIHDR:]}, nil)
}
