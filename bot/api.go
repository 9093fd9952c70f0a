package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// fastAPI makes the Bot API calls on the hot path — sendMessage,
// editMessageText, answerCallbackQuery — as one JSON POST each.
// go-telegram/bot streams every request as multipart/form-data through a
// pipe, which cost a write system call per part and a fifth of the bot's CPU
// under load (see the README's performance section); it still makes the
// rare calls (setup, files).
type fastAPI struct {
	base string // APIURL + "/bot" + token + "/": never logged
	http *http.Client
}

// apiError is an answer of the Bot API that is not ok.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Description) }

// inlineButton and inlineKeyboard are the reply_markup of our messages.
type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type sendMessage struct {
	ChatID      int64           `json:"chat_id"`
	Text        string          `json:"text"`
	ParseMode   string          `json:"parse_mode"`
	ReplyMarkup *inlineKeyboard `json:"reply_markup,omitempty"`
}

type editMessageText struct {
	ChatID      int64           `json:"chat_id"`
	MessageID   int             `json:"message_id"`
	Text        string          `json:"text"`
	ParseMode   string          `json:"parse_mode"`
	ReplyMarkup *inlineKeyboard `json:"reply_markup,omitempty"`
}

type answerCallbackQuery struct {
	CallbackQueryID string `json:"callback_query_id"`
	Text            string `json:"text,omitempty"`
}

// do calls a method; the error is an *apiError for an answer that is not
// ok, or a transport error without the URL (it holds the token).
func (a *fastAPI) do(ctx context.Context, method string, params any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("make %s request", method)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		var uerr interface{ Unwrap() error }
		if errors.As(err, &uerr) {
			err = uerr.Unwrap()
		}
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	var r struct {
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.ErrorCode == 0 {
		return &apiError{Code: resp.StatusCode, Description: http.StatusText(resp.StatusCode)}
	}
	return &apiError{Code: r.ErrorCode, Description: r.Description, RetryAfter: r.Parameters.RetryAfter}
}
