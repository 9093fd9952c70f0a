package telegramtest

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // decode the photos people send
	"image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"
)

// maxDownload is the largest file getFile hands out, as on Telegram.
const maxDownload = 20 << 20

// fileKind is what a stored file is.
type fileKind int

const (
	kindPhoto fileKind = iota
	kindDocument
	kindSticker
)

// fileNaming gives file_ids Telegram's prefix for the kind and file paths its
// folder.
var fileNaming = map[fileKind]struct{ idPrefix, dir string }{
	kindPhoto:    {"AgACAgIAAxkBAAI", "photos"},
	kindDocument: {"BQACAgIAAxkBAAI", "documents"},
	kindSticker:  {"CAACAgIAAxkBAAI", "stickers"},
}

// storedFile is a file the server keeps, under its file_id and file_path.
type storedFile struct {
	id, uniqueID, path string
	kind               fileKind
	data               []byte
	width, height      int
	name, mimeType     string
	sizes              []*storedFile // for a photo: all its sizes, smallest first
	refs               int           // kept messages showing it (WithoutHistory)
}

func (f *storedFile) photoSize() models.PhotoSize {
	return models.PhotoSize{FileID: f.id, FileUniqueID: f.uniqueID, Width: f.width, Height: f.height, FileSize: len(f.data)}
}

func (f *storedFile) document() *models.Document {
	return &models.Document{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mimeType, FileSize: int64(len(f.data))}
}

// addFileLocked stores data under a new file_id, file_unique_id and
// file_path. Identifiers are deterministic: they count up from 1.
func (s *Server) addFileLocked(kind fileKind, data []byte, ext string) *storedFile {
	s.fileSeq++
	n := s.fileSeq
	naming := fileNaming[kind]
	f := &storedFile{
		id:       fmt.Sprintf("%s%08d", naming.idPrefix, n),
		uniqueID: fmt.Sprintf("AQAD%08d", n),
		path:     fmt.Sprintf("%s/file_%d%s", naming.dir, n, ext),
		kind:     kind,
		data:     data,
	}
	s.files[f.id] = f
	s.paths[f.path] = f
	return f
}

// photoSize is one size of a photo before it is stored.
type photoSize struct {
	width, height int
	data          []byte
}

// photoSizes makes the sizes Telegram gives a photo: thumbnails whose longer
// side is 90, 320 and 800 pixels (those smaller than the photo), then the
// photo itself, kept byte for byte. Data that is not a JPEG, PNG or GIF is
// taken as a 1280x960 photo with grey thumbnails. WithoutThumbnails, only
// the photo's header is read and every size is the photo's own bytes.
func (s *Server) photoSizes(data []byte) []photoSize {
	var src *image.RGBA
	w, h := 1280, 960
	if s.cfg.noThumbnails {
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
			w, h = cfg.Width, cfg.Height
		}
	} else if img, _, err := image.Decode(bytes.NewReader(data)); err == nil && img.Bounds().Dx() > 0 && img.Bounds().Dy() > 0 {
		src = toRGBA(img)
		w, h = src.Rect.Dx(), src.Rect.Dy()
	}
	var sizes []photoSize
	for _, side := range []int{90, 320, 800} {
		if max(w, h) <= side {
			break
		}
		tw, th := side, max(1, h*side/w)
		if h > w {
			tw, th = max(1, w*side/h), side
		}
		thumb := data
		if !s.cfg.noThumbnails {
			thumb = thumbnail(src, tw, th)
		}
		sizes = append(sizes, photoSize{width: tw, height: th, data: thumb})
	}
	return append(sizes, photoSize{width: w, height: h, data: data})
}

func toRGBA(img image.Image) *image.RGBA {
	if rgba, ok := img.(*image.RGBA); ok {
		return rgba
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	return dst
}

// thumbnail scales src (grey when nil) to w x h, nearest neighbour, as JPEG.
func thumbnail(src *image.RGBA, w, h int) []byte {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if src == nil {
		for i := range dst.Pix {
			dst.Pix[i] = 0x80
		}
	} else {
		sw, sh := src.Rect.Dx(), src.Rect.Dy()
		for y := range h {
			for x := range w {
				from := src.PixOffset(src.Rect.Min.X+x*sw/w, src.Rect.Min.Y+y*sh/h)
				copy(dst.Pix[dst.PixOffset(x, y):][:4], src.Pix[from:from+4])
			}
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 75})
	return buf.Bytes()
}

// addPhotoLocked stores the sizes of a photo and returns them, smallest first.
func (s *Server) addPhotoLocked(sizes []photoSize) []*storedFile {
	files := make([]*storedFile, len(sizes))
	for i, ps := range sizes {
		f := s.addFileLocked(kindPhoto, ps.data, ".jpg")
		f.width, f.height, f.mimeType = ps.width, ps.height, "image/jpeg"
		files[i] = f
	}
	for _, f := range files {
		f.sizes = files
	}
	return files
}

// addDocumentLocked stores a document. The MIME type, when empty, comes from
// the file name's extension or, failing that, from the content.
func (s *Server) addDocumentLocked(data []byte, name, mimeType string) *storedFile {
	ext := strings.ToLower(path.Ext(name))
	if mimeType == "" || mimeType == "application/octet-stream" {
		if t := mime.TypeByExtension(ext); t != "" {
			mimeType = t
		} else if mimeType == "" {
			mimeType = http.DetectContentType(data)
		}
	}
	if mt, _, err := mime.ParseMediaType(mimeType); err == nil {
		mimeType = mt
	}
	f := s.addFileLocked(kindDocument, data, ext)
	f.name, f.mimeType = name, mimeType
	return f
}

// photoFiles are the sizes of the photo a file_id names: a file_id of one of
// its sizes sends that size and the smaller ones.
func (f *storedFile) photoFiles() []*storedFile {
	for i, g := range f.sizes {
		if g == f {
			return f.sizes[:i+1]
		}
	}
	return []*storedFile{f}
}

func photoSizesOf(files []*storedFile) []models.PhotoSize {
	out := make([]models.PhotoSize, len(files))
	for i, f := range files {
		out[i] = f.photoSize()
	}
	return out
}

// getFile answers https://core.telegram.org/bots/api#getfile.
func getFile(s *Server, r *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[strings.TrimSpace(r.str("file_id"))]
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(f.data) > maxDownload {
		return nil, badRequest("file is too big")
	}
	return models.File{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: int64(len(f.data)), FilePath: f.path}, nil
}

// serveFile serves GET /file/bot<token>/<file_path>.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	token, filePath, _ := strings.Cut(rest, "/")
	if token != s.token {
		writeError(w, errUnauthorized)
		return
	}
	s.mu.Lock()
	f := s.paths[filePath]
	s.mu.Unlock()
	if f == nil || len(f.data) > maxDownload || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		writeError(w, errNotFound)
		return
	}
	ct := f.mimeType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(f.data)
	}
}
