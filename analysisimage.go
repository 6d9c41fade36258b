package palette

import "image"

// analysisImage decodes data and reduces it to the analysis image.
func analysisImage(data []byte, o *Options) (*image.NRGBA, error) {
	img, _, err := DecodeBytes(data, o.Limits)
	if err != nil {
		return nil, err
	}
	return Shrink(img, o.AnalysisPixels), nil
}
