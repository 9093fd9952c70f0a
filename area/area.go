// Package area holds the area list a new installation starts with: until a
// real tree is imported, a small sample of two provinces with a few communes
// and villages (one commune in a hardship area), for the playground and the
// tests. The stores load it; nothing else depends on its contents.
package area

import (
	"hoctap/flows"
	"hoctap/scoring"
)

// Sample is the sample area list, parents before children.
var Sample = []flows.Area{
	{Code: "01", Level: "province", Name: scoring.Text{VI: "Thành phố Hà Nội", EN: "Hà Nội"}, Region: scoring.RegionNormal},
	{Code: "01.001", Parent: "01", Level: "commune", Name: scoring.Text{VI: "Xã Sóc Sơn", EN: "Sóc Sơn commune"}, Region: scoring.RegionNormal},
	{Code: "01.001.01", Parent: "01.001", Level: "village", Name: scoring.Text{VI: "Thôn Đông", EN: "Đông village"}, Region: scoring.RegionNormal},
	{Code: "01.001.02", Parent: "01.001", Level: "village", Name: scoring.Text{VI: "Thôn Đoài", EN: "Đoài village"}, Region: scoring.RegionNormal},
	{Code: "01.002", Parent: "01", Level: "commune", Name: scoring.Text{VI: "Phường Hoàn Kiếm", EN: "Hoàn Kiếm ward"}, Region: scoring.RegionNormal},
	{Code: "01.002.01", Parent: "01.002", Level: "village", Name: scoring.Text{VI: "Tổ dân phố số 1", EN: "Residential group 1"}, Region: scoring.RegionNormal},
	{Code: "01.002.02", Parent: "01.002", Level: "village", Name: scoring.Text{VI: "Tổ dân phố số 2", EN: "Residential group 2"}, Region: scoring.RegionNormal},
	{Code: "08", Level: "province", Name: scoring.Text{VI: "Tỉnh Tuyên Quang", EN: "Tuyên Quang"}, Region: scoring.RegionNormal},
	{Code: "08.001", Parent: "08", Level: "commune", Name: scoring.Text{VI: "Xã Lâm Bình", EN: "Lâm Bình commune"}, Region: scoring.RegionHardship},
	{Code: "08.001.01", Parent: "08.001", Level: "village", Name: scoring.Text{VI: "Thôn Nà Khà", EN: "Nà Khà village"}, Region: scoring.RegionHardship},
	{Code: "08.001.02", Parent: "08.001", Level: "village", Name: scoring.Text{VI: "Thôn Bản Bó", EN: "Bản Bó village"}, Region: scoring.RegionHardship},
}
