package store_test

import (
	"context"
	"fmt"
	"os"

	"github.com/palette-dev/palette/store"
)

func Example() {
	root, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(root)
	dir, err := store.NewDir(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := &store.Router{Dir: dir}
	ctx := context.Background()

	key := store.OutputKey("sku/../42", "s3://photos/42.jpg")
	fmt.Println(key)
	ref := "file://" + root + "/swatches/" + key
	if err := r.Put(ctx, ref, []byte("png bytes"), store.PutOptions{ContentType: "image/png"}); err != nil {
		fmt.Println(err)
		return
	}
	data, err := r.Get(ctx, ref, 1<<20)
	fmt.Printf("%s %v\n", data, err)
	_, err = r.Get(ctx, "file://"+root+"/swatches/nope.png", 1<<20)
	fmt.Println(err != nil, store.IsTransient(err))
	// Output:
	// sku_.__42/f98d019f61365db1.png
	// png bytes <nil>
	// true false
}
