package preview_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"mime/multipart"
	"net/http/httptest"

	"github.com/palette-dev/palette/preview"
)

// A preview of an uploaded photo: POST /v1/preview with the photo and the
// catalog colour names, answered as JSON.
func Example() {
	srv, err := preview.New(preview.Config{}) // embedded map, uploads only, read-only editor
	if err != nil {
		panic(err)
	}

	// A photo: a navy product.
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.NRGBA{0x1f, 0x2a, 0x44, 0xff}), image.Point{}, draw.Src)
	var photo bytes.Buffer
	png.Encode(&photo, img)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("image", "navy.png")
	fw.Write(photo.Bytes())
	mw.WriteField("colors", "Navy")
	mw.Close()

	req := httptest.NewRequest("POST", "/v1/preview", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)

	var r preview.Response
	json.Unmarshal(rec.Body.Bytes(), &r)
	p := r.Colors[0]
	fmt.Println(rec.Code, p.Name, p.Hex, p.Resolved, p.Via, r.Size, len(r.Warnings))
	// Output: 200 Navy #1f2a44 Navy Blue alias 40 0
}
