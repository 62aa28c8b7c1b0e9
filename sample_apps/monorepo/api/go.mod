module example.com/dockopt/monorepo/api

go 1.22
