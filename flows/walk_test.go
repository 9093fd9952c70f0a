package flows_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"hoctap/flows"
)

// picture returns a small JPEG whose colour depends on n, so that photos
// differ.
func picture(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		for y := 0; y < 16; y++ {
			img.Set(x, y, color.RGBA{uint8(n * 40), uint8(x * 16), uint8(y * 16), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// labels are the button labels a person reads, by language.
var labels = map[string]map[string]string{
	"vi": {
		"agree": "✅ Đồng ý", "family": "Gia đình học tập", "province": "Thành phố Hà Nội", "commune": "Xã Sóc Sơn",
		"village": "Thôn Đông", "yes": "Có", "no": "Không", "na": "Không áp dụng", "done": "✅ Xong",
		"no_photo": "⏭ Không có ảnh", "some": "Có, ở một số việc · 5 điểm", "internet": "Điện thoại thông minh hoặc máy tính có internet · 6 điểm",
		"later": "⏭ Để sau", "back": "◀ Quay lại", "submit": "📤 Nộp bản tự đánh giá", "info": "ℹ️ Hướng dẫn",
	},
	"en": {
		"agree": "✅ I agree", "family": "Learning Family", "province": "Hà Nội", "commune": "Sóc Sơn commune",
		"village": "Đông village", "yes": "Yes", "no": "No", "na": "Not applicable", "done": "✅ Done",
		"no_photo": "⏭ No photo", "some": "Yes, in some things · 5 points", "internet": "A smartphone or a computer with internet · 6 points",
		"later": "⏭ Later", "back": "◀ Back", "submit": "📤 Submit the self-assessment", "info": "ℹ️ Guidance",
	},
}

// walkFamily walks the Learning Family questionnaire to a submission, with
// the detours people take: a wrong input, evidence asked for, an album, a
// question left for later, a guidance look-up and a back step.
func walkFamily(t *testing.T, h *harness) {
	l := labels[h.lang]
	h.command("start")
	h.press(l["agree"])
	h.press(l["family"])
	h.text("<Nguyễn & Con>")
	h.press(l["province"])
	h.press(l["commune"])
	h.press(l["village"])

	h.press(l["info"]) // 1.1's guidance
	h.press(l["yes"])  // 1.1: evidence required
	h.text("xin chào")
	h.press(l["done"]) // not yet: a photo is needed
	h.photo("report-card.jpg", picture(t, 1), "")
	h.press(l["done"])
	h.press(l["na"])  // 1.2
	h.press(l["yes"]) // 1.3
	h.press(l["back"])
	h.press(l["yes"]) // 1.3 again
	h.press(l["yes"]) // 2.1
	h.press(l["yes"]) // 2.2: optional evidence
	h.press(l["no_photo"])
	h.press(l["some"]) // 2.3
	h.sticker()        // wrong kind of input
	h.press(l["yes"])  // 3.1: evidence required, sent as an album
	h.photo("corner-1.jpg", picture(t, 2), "album-1")
	h.photo("corner-2.jpg", picture(t, 3), "album-1")
	h.press(l["done"])
	h.press(l["internet"]) // 3.2
	h.press(l["later"])    // 3.3 left for later
	h.press(l["yes"])      // 4.1
	h.press(l["no"])       // 4.2: no evidence needed for a no
	h.press(l["yes"])      // 4.3: the review screen
	h.press(l["submit"])   // refused: 3.3 is unanswered
	h.press("✏️ 3.3")
	h.press(l["yes"])
	h.press(l["submit"])
}

func (h *harness) sticker() []flows.Output {
	return h.send(flows.Input{Kind: flows.InputUnsupported}, "sticker")
}

func TestWalkFamilyGolden(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := newHarness(t, lang)
			walkFamily(t, h)
			h.golden("walk_family_" + lang)

			got := h.submitted()
			if len(got) != 1 {
				t.Fatalf("%d submitted assessments, want 1", len(got))
			}
			s := got[0]
			if s.SubjectName != "<Nguyễn & Con>" || s.Kind != "family" || s.AreaCode != "01.001.01" ||
				s.SetID != "family-2015" || s.SetVersion != 1 || s.Total != 88 || !s.Passed {
				t.Errorf("submitted %+v", s)
			}
		})
	}
}

func TestResultMessage(t *testing.T) {
	h := newHarness(t, "vi")
	walkFamily(t, h)
	log := h.log.String()
	result := log[strings.LastIndex(log, "> ["):]
	if !strings.Contains(result, "\n< ✅ Đã nộp\n") {
		t.Errorf("the last answer does not start with ✅ Đã nộp:\n%s", result)
	}
	if strings.Count(strings.ToLower(log), "đã nộp") != 1 {
		t.Errorf("\"đã nộp\" shows %d times in the conversation", strings.Count(strings.ToLower(log), "đã nộp"))
	}
}
