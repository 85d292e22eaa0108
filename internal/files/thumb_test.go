package files_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/switchboard/switchboard/internal/files"
)

// The WebP fixtures are copied from golang.org/x/image/testdata (BSD licence):
// a 75×100 lossless (VP8L) and a 150×100 lossy (VP8) image.
const (
	losslessWebP = "testdata/gopher-doc.1bpp.lossless.webp"
	lossyWebP    = "testdata/blue-purple-pink.lossy.webp"
)

// TestThumbnail: the longest side becomes ThumbnailMax with the aspect ratio
// kept, small images are re-encoded at their size, GIFs give their first
// frame, and the output is a JPEG unless some pixel is not opaque. Input
// comes a byte at a time, so reading the header and then the pixels must
// use the stream once.
func TestThumbnail(t *testing.T) {
	animated := thumbGIF(t, 640, 480, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255})
	tests := []struct {
		name, contentType string
		input             []byte
		wantType          string
		wantW, wantH      int
	}{
		{"wide opaque PNG", "image/png", thumbPNG(t, 1000, 500, false), "image/jpeg", 320, 160},
		{"wide transparent PNG", "image/png", thumbPNG(t, 1000, 500, true), "image/png", 320, 160},
		{"tall JPEG", "image/jpeg", thumbJPEG(t, 500, 1000), "image/jpeg", 160, 320},
		{"small PNG not enlarged", "image/png", thumbPNG(t, 100, 50, false), "image/jpeg", 100, 50},
		{"small transparent PNG", "image/png", thumbPNG(t, 40, 30, true), "image/png", 40, 30},
		{"animated GIF", "image/gif", animated, "image/jpeg", 320, 240},
		{"lossless WebP", "image/webp", thumbFile(t, losslessWebP), "image/jpeg", 75, 100},
		{"lossy WebP", "image/webp", thumbFile(t, lossyWebP), "image/jpeg", 150, 100},
		{"type with parameters", "Image/PNG; q=1", thumbPNG(t, 330, 10, false), "image/jpeg", 320, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, typ, w, h, err := files.Thumbnail(iotest.OneByteReader(bytes.NewReader(tt.input)), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if typ != tt.wantType || w != tt.wantW || h != tt.wantH {
				t.Fatalf("got %s %d×%d, want %s %d×%d", typ, w, h, tt.wantType, tt.wantW, tt.wantH)
			}
			img, format, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("thumbnail does not decode: %v", err)
			}
			if "image/"+format != typ || img.Bounds().Dx() != w || img.Bounds().Dy() != h {
				t.Fatalf("thumbnail is %s %v, reported %s %d×%d", format, img.Bounds(), typ, w, h)
			}
			if tt.name == "animated GIF" {
				r, _, b, _ := img.At(w/2, h/2).RGBA()
				if r < 0xe000 || b > 0x2000 {
					t.Fatalf("centre is %v, want the red first frame", img.At(w/2, h/2))
				}
			}
		})
	}
}

// TestImageSize: each format's dimensions come from its header; anything
// else is not an image.
func TestImageSize(t *testing.T) {
	tests := []struct {
		name         string
		input        []byte
		wantW, wantH int
		wantOK       bool
	}{
		{"PNG", thumbPNG(t, 1000, 500, true), 1000, 500, true},
		{"JPEG", thumbJPEG(t, 33, 44), 33, 44, true},
		{"GIF", thumbGIF(t, 7, 9, color.Black), 7, 9, true},
		{"lossless WebP", thumbFile(t, losslessWebP), 75, 100, true},
		{"lossy WebP", thumbFile(t, lossyWebP), 150, 100, true},
		{"huge PNG header", thumbHugePNG(t), 100_000, 100_000, true},
		{"text", []byte("hello, world\n"), 0, 0, false},
		{"empty", nil, 0, 0, false},
		{"truncated PNG", thumbPNG(t, 10, 10, false)[:12], 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h, ok := files.ImageSize(bytes.NewReader(tt.input))
			if w != tt.wantW || h != tt.wantH || ok != tt.wantOK {
				t.Fatalf("got %d×%d %v, want %d×%d %v", w, h, ok, tt.wantW, tt.wantH, tt.wantOK)
			}
		})
	}
}

// TestThumbnailRefuses: other content types are not images; a header
// claiming more than MaxImagePixels is refused before the pixels are
// allocated; truncated or garbage input is an error, never a panic.
func TestThumbnailRefuses(t *testing.T) {
	png10 := thumbPNG(t, 10, 10, false)
	for _, ct := range []string{"text/plain", "application/pdf", "image/svg+xml", "image/bmp", ""} {
		if _, _, _, _, err := files.Thumbnail(bytes.NewReader(png10), ct); !errors.Is(err, files.ErrNotImage) {
			t.Errorf("%q: got %v, want ErrNotImage", ct, err)
		}
	}

	huge := thumbHugePNG(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, _, _, err := files.Thumbnail(bytes.NewReader(huge), "image/png")
	runtime.ReadMemStats(&after)
	if !errors.Is(err, files.ErrImageTooLarge) {
		t.Fatalf("100000×100000 PNG: got %v, want ErrImageTooLarge", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Fatalf("refusing a huge PNG allocated %d bytes", n)
	}

	broken := map[string][]byte{
		"image/png":  png10,
		"image/jpeg": thumbJPEG(t, 64, 64),
		"image/gif":  thumbGIF(t, 64, 64, color.White),
		"image/webp": thumbFile(t, lossyWebP),
	}
	for ct, whole := range broken {
		inputs := map[string][]byte{
			"truncated header": whole[:len(whole)/8],
			"truncated pixels": whole[:len(whole)*3/4],
			"garbage":          bytes.Repeat([]byte{0xff, 0x00, 0x13}, 200),
			"empty":            nil,
		}
		for name, input := range inputs {
			data, _, _, _, err := files.Thumbnail(bytes.NewReader(input), ct)
			if err == nil || data != nil {
				t.Errorf("%s, %s: got %d bytes and %v, want an error", ct, name, len(data), err)
			}
		}
	}
}

// thumbPNG encodes a w×h gradient, with one transparent pixel if asked.
func thumbPNG(t *testing.T, w, h int, transparent bool) []byte {
	t.Helper()
	img := thumbGradient(w, h)
	if transparent {
		img.Set(0, 0, color.NRGBA{})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func thumbJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, thumbGradient(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// thumbGIF encodes a w×h GIF with one frame of each colour.
func thumbGIF(t *testing.T, w, h int, frames ...color.Color) []byte {
	t.Helper()
	var g gif.GIF
	for _, c := range frames {
		frame := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		idx := uint8(frame.Palette.Index(c))
		for i := range frame.Pix {
			frame.Pix[i] = idx
		}
		g.Image = append(g.Image, frame)
		g.Delay = append(g.Delay, 10)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func thumbGradient(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	return img
}

// thumbHugePNG is a small valid PNG whose IHDR claims 100000×100000 pixels,
// with the chunk's CRC recomputed so decoders accept the header.
func thumbHugePNG(t *testing.T) []byte {
	t.Helper()
	b := thumbPNG(t, 2, 2, false)
	// 8-byte signature, then IHDR: length (4), type (4), width, height, ...
	if string(b[12:16]) != "IHDR" {
		t.Fatalf("unexpected PNG layout %q", b[:16])
	}
	binary.BigEndian.PutUint32(b[16:], 100_000)
	binary.BigEndian.PutUint32(b[20:], 100_000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29])) // type + 13 data bytes
	return b
}

func thumbFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "RIFF") {
		t.Fatalf("%s is not a RIFF file", name)
	}
	return b
}
