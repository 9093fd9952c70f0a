module hoctap

go 1.26.8

require go.yaml.in/yaml/v3 v3.0.6

require (
	github.com/nicksnyder/go-i18n/v2 v2.7.0 // indirect
	github.com/spf13/pflag v1.1.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)
