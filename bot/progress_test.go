package bot_test

import (
	"bytes"
	"context"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hoctap/area"
	"hoctap/bot/telegramtest"
	"hoctap/flows"
	"hoctap/role"
)

// TestProgressChartAndWorkbook, through the Bot API: Hà Nội's leader
// opens /progress and has the figures sent as a chart, which arrives as
// a photo at least 800 px wide, and as a workbook, which arrives as an
// .xlsx document with the summary and a sheet per title; each press is
// answered with a short notice, and the figures' screen stays.
func TestProgressChartAndWorkbook(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{})
	s.startBot()
	ctx := context.Background()
	leader := s.person(7301, "vi")
	withRole(s, leader, role.Leader, "01")
	s.api.SendCommand(leader.u, "/progress")
	screen := leader.wait("Thành phố Hà Nội")

	// found waits for the newest message to be one that is.
	found := func(what string, is func(telegramtest.Message) bool) telegramtest.Message {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var m telegramtest.Message
		if err := s.api.Wait(wctx, func(s *telegramtest.Server) bool {
			msgs := s.Messages(leader.u.ID)
			m = msgs[len(msgs)-1]
			return is(m)
		}); err != nil {
			t.Fatalf("no %s came", what)
		}
		return m
	}
	leader.press("📈 Biểu đồ")
	chart := found("chart", func(m telegramtest.Message) bool { return m.Photo != nil })
	img, err := png.Decode(bytes.NewReader(chart.Photo))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w < 800 {
		t.Errorf("the chart is %d px wide", w)
	}
	if want := "📊 Thành phố Hà Nội · năm " + time.Now().In(flows.Vietnam).Format("2006"); chart.Text != want {
		t.Errorf("the chart's caption %q, want %q", chart.Text, want)
	}

	leader.press("📥 Excel")
	sheet := found("workbook", func(m telegramtest.Message) bool { return m.Document != nil })
	if want := "tien-do-01-" + time.Now().In(flows.Vietnam).Format("2006") + ".xlsx"; sheet.FileName != want {
		t.Errorf("the workbook is named %q, want %q", sheet.FileName, want)
	}
	book, err := excelize.OpenReader(bytes.NewReader(sheet.Document))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	if got, want := book.GetSheetList(), []string{"Tổng hợp", "Gia đình", "Dòng họ", "Cộng đồng", "Đơn vị", "Công dân", "Chỉ tiêu không đạt", "Bản đánh giá"}; !slices.Equal(got, want) {
		t.Errorf("the sheets %v, want %v", got, want)
	}

	var notices []string
	for _, a := range s.api.CallbackAnswers(leader.u.ID) {
		if a.Text != "" {
			notices = append(notices, a.Text)
		}
	}
	if want := []string{"Đã gửi biểu đồ.", "Đã gửi tệp Excel."}; !slices.Equal(notices, want) {
		t.Errorf("the presses were answered %q, want %q", notices, want)
	}
	for _, m := range s.api.Messages(leader.u.ID) {
		if m.ID == screen.ID && (m.Deleted || m.Text != screen.Text) {
			t.Errorf("the figures' screen changed to %q", m.Text)
		}
	}
}

// TestNudgeReachesTheReviewers, through the Bot API and the reminders'
// jobs: Hà Nội's leader taps "🔔 Nhắc người thẩm định" under the
// communes not reported, and Hoàn Kiếm's reviewer gets one message
// naming the ward, in their language.
func TestNudgeReachesTheReviewers(t *testing.T) {
	t.Parallel()
	s := newSystem(t, setup{jobs: true})
	s.startBot()
	leader, reviewer := s.person(7401, "vi"), s.person(7402, "vi")
	withRole(s, leader, role.Leader, "01")
	withRole(s, reviewer, role.Reviewer, area.SampleWard)
	s.api.SendCommand(leader.u, "/progress")
	leader.wait("Thành phố Hà Nội")
	leader.pressPrefix("📋 Chưa báo cáo")
	leader.wait("chưa có đăng ký hay bài nộp nào")
	leader.press("🔔 Nhắc người thẩm định")
	leader.wait("chưa có người thẩm định để nhắc")
	told := reviewer.wait("Lãnh đạo nhắc, theo số liệu của Thành phố Hà Nội")
	if !strings.Contains(told.Text, "• Phường Hoàn Kiếm") || strings.Contains(told.Text, "Xã Sóc Sơn") {
		t.Errorf("the reviewer was told %q", told.Text)
	}
}

// withRole has a person agree to the terms, then gives them a role.
func withRole(s *system, p *person, r role.Role, code string) {
	s.t.Helper()
	s.api.SendCommand(p.u, "/start")
	p.wait("Bạn có đồng ý")
	p.step("✅ Đồng ý", "Bạn muốn tự đánh giá danh hiệu nào?")
	var id int64
	if err := s.db.Pool().QueryRow(context.Background(), `SELECT id FROM people WHERE channel_user = $1`, p.u.ID).Scan(&id); err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.GrantRole(context.Background(), id, r, code, 0); err != nil {
		s.t.Fatal(err)
	}
}
