module example.com/dockopt/go-api

go 1.23
