package files

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image.Decode and DecodeConfig read GIF (the first frame)
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // and WebP, lossy and lossless
)

// ThumbnailMax is the longest side of a thumbnail, in pixels.
const ThumbnailMax = 320

// MaxImagePixels bounds width × height of an image Thumbnail decodes, so a
// small file claiming huge dimensions (a decompression bomb) is refused
// before any pixel memory is allocated.
const MaxImagePixels = 40_000_000

var (
	// ErrNotImage is returned for content that is not a JPEG, PNG, GIF or WebP.
	ErrNotImage = errors.New("files: not a JPEG, PNG, GIF or WebP image")
	// ErrImageTooLarge is returned for images of more than MaxImagePixels.
	ErrImageTooLarge = errors.New("files: image has too many pixels")
)

// imageFormats are the names image.DecodeConfig gives the formats we read,
// by content type.
var imageFormats = map[string]string{
	"image/jpeg": "jpeg",
	"image/png":  "png",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// knownFormat reports whether format, as named by image.DecodeConfig, is one
// of ours (another package of the binary may register more).
func knownFormat(format string) bool {
	for _, f := range imageFormats {
		if f == format {
			return true
		}
	}
	return false
}

// ImageSize reads the header of a JPEG, PNG, GIF or WebP image and returns
// its dimensions; ok is false for anything else. It reads no pixels.
func ImageSize(r io.Reader) (width, height int, ok bool) {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil || !knownFormat(format) || cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0, false
	}
	return cfg.Width, cfg.Height, true
}

// Thumbnail decodes an image of contentType (image/jpeg, image/png,
// image/gif: its first frame, or image/webp) and returns it scaled so that
// its longest side is at most ThumbnailMax, keeping the aspect ratio;
// smaller images keep their size but are still re-encoded. The thumbnail is
// a quality-80 JPEG, or a PNG when the image has any non-opaque pixel;
// thumbType says which, and width and height are the thumbnail's.
//
// Other content types give ErrNotImage, and images of more than
// MaxImagePixels give ErrImageTooLarge, decided from the header alone.
// The EXIF orientation of JPEGs is not applied: thumbnails show the stored
// pixels, as the original does in a viewer that ignores EXIF.
func Thumbnail(r io.Reader, contentType string) (data []byte, thumbType string, width, height int, err error) {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if _, ok := imageFormats[strings.ToLower(mediaType)]; !ok {
		return nil, "", 0, 0, ErrNotImage
	}

	// Read the header, keeping the bytes read, then decode from those bytes
	// followed by the rest of the stream: r is read once, and only the header
	// (with the decoder's read-ahead) is held twice.
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("files: thumbnail: %w", err)
	}
	if !knownFormat(format) {
		return nil, "", 0, 0, ErrNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", 0, 0, fmt.Errorf("files: thumbnail: %s has no pixels", format)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, "", 0, 0, ErrImageTooLarge
	}
	src, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("files: thumbnail: %w", err)
	}

	b := src.Bounds()
	width, height = fit(b.Dx(), b.Dy(), ThumbnailMax)
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	// CatmullRom widens its kernel when shrinking, so a large photo does not
	// alias as with ApproxBiLinear (which samples only 4 source pixels); it
	// costs about as much as decoding (some 0.8 s for 24 megapixels).
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)

	var buf bytes.Buffer
	if opaque(src) {
		thumbType, err = "image/jpeg", jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80})
	} else {
		thumbType, err = "image/png", png.Encode(&buf, dst)
	}
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("files: thumbnail: encode: %w", err)
	}
	return buf.Bytes(), thumbType, width, height, nil
}

// fit scales w×h so that its longest side is at most limit, keeping the
// aspect ratio (each side at least 1 pixel); it never enlarges.
func fit(w, h, limit int) (int, int) {
	long := max(w, h)
	if long <= limit {
		return w, h
	}
	scale := func(n int) int { return max(1, (n*limit+long/2)/long) }
	return scale(w), scale(h)
}

// opaque reports whether every pixel of img is fully opaque. Images that
// cannot tell are taken to have transparency, so their thumbnail is a PNG,
// which loses nothing.
func opaque(img image.Image) bool {
	o, ok := img.(interface{ Opaque() bool })
	return ok && o.Opaque()
}
