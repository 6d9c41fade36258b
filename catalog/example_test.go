package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/palette-dev/palette/catalog"
)

// A client of a catalog that answers {"attributes": {"color": [...]}}.
func ExampleClient_Colors() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/products/TSHDBZGE4VXZSK8D/colors" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `{"id":"TSHDBZGE4VXZSK8D","attributes":{"color":["Grey","Pink"]}}`)
	}))
	defer srv.Close()

	c, err := catalog.New(catalog.Config{
		URL:  srv.URL + "/products/{product_id}/colors",
		Path: "attributes.color",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	colors, err := c.Colors(context.Background(), "TSHDBZGE4VXZSK8D")
	fmt.Println(colors, err)

	_, err = c.Colors(context.Background(), "NOSUCHPRODUCT")
	fmt.Println(err)
	fmt.Println(errors.Is(err, catalog.ErrNotFound), catalog.Transient(err))
	// Output:
	// [Grey Pink] <nil>
	// catalog: not found for product "NOSUCHPRODUCT": status 404
	// true false
}
