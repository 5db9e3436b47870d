package engagement

import (
	"context"
	"fmt"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// The custom search attributes of an engagement (never personal data). This one list is what
// the workflow upserts, what the start-up check and the registration commands are derived from.
var (
	KeyVendor             = temporal.NewSearchAttributeKeyKeyword("Vendor")
	KeyEngagementID       = temporal.NewSearchAttributeKeyKeyword("EngagementID")
	KeyCoverageStatus     = temporal.NewSearchAttributeKeyKeyword("CoverageStatus")
	KeyCertificateStatus  = temporal.NewSearchAttributeKeyKeyword("CertificateStatus")
	KeyPolicyContractorID = temporal.NewSearchAttributeKeyKeyword("PolicyContractorID")
	KeySourceContractorID = temporal.NewSearchAttributeKeyKeyword("SourceContractorID")
	KeyCoverageStart      = temporal.NewSearchAttributeKeyTime("CoverageStart")
	KeyCoverageEnd        = temporal.NewSearchAttributeKeyTime("CoverageEnd")
	// KeySourceVersion is the version of the platform record the engagement last applied
	// (vendors.RecordVersion): a poller signals only engagements whose version differs.
	KeySourceVersion = temporal.NewSearchAttributeKeyKeyword("SourceVersion")

	SearchAttributeKeys = []temporal.SearchAttributeKey{KeyVendor, KeyEngagementID, KeyCoverageStatus,
		KeyCertificateStatus, KeyPolicyContractorID, KeySourceContractorID, KeyCoverageStart, KeyCoverageEnd, KeySourceVersion}

	// optionalKeys are registered like the others, but a namespace without them still runs:
	// SPEC §3's list is the contract, and SourceVersion only saves the pollers' signals (without
	// it the workflows publish no version and every poll signals as before).
	optionalKeys = []temporal.SearchAttributeKey{KeySourceVersion}
)

// SearchAttribute is one attribute as an operator registers it.
type SearchAttribute struct {
	Name string
	Type enumspb.IndexedValueType
	// Kind is the type as the Temporal CLI names it (Keyword, Datetime).
	Kind string
	// Optional: the service runs without it, doing more work (optionalKeys).
	Optional bool
}

// SearchAttributes lists every attribute to register, in the order of SearchAttributeKeys.
func SearchAttributes() []SearchAttribute {
	out := make([]SearchAttribute, 0, len(SearchAttributeKeys))
	for _, k := range SearchAttributeKeys {
		kind := strings.TrimPrefix(k.GetValueType().String(), "INDEXED_VALUE_TYPE_")
		out = append(out, SearchAttribute{Name: k.GetName(), Type: k.GetValueType(),
			Kind: strings.ToUpper(kind[:1]) + strings.ToLower(kind[1:]), Optional: slices.Contains(optionalKeys, k)})
	}
	return out
}

// CheckSearchAttributes confirms the namespace has every search attribute this service uses,
// with its type. A missing required one is one line naming it and the command that registers
// it: a workflow must never wedge on an unregistered attribute. Missing optional ones are
// returned, each as the line to log: the workers then publish none of them.
func CheckSearchAttributes(ctx context.Context, c client.Client, namespace string) (missingOptional []string, err error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("reading the search attributes of namespace %s: %w", namespace, err)
	}
	// In name order, so the first missing one named is the same on every start.
	list := SearchAttributes()
	slices.SortFunc(list, func(a, b SearchAttribute) int { return strings.Compare(a.Name, b.Name) })
	for _, sa := range list {
		register := fmt.Sprintf("run `temporal operator search-attribute create --namespace %s --name %s --type %s`", namespace, sa.Name, sa.Kind)
		got, ok := resp.GetCustomAttributes()[sa.Name]
		switch {
		case !ok && sa.Optional:
			missingOptional = append(missingOptional, fmt.Sprintf("search attribute %s is not registered in namespace %s: "+
				"pollers signal every record they list until it is; %s", sa.Name, namespace, register))
		case !ok:
			return nil, fmt.Errorf("search attribute %s is not registered in namespace %s: %s", sa.Name, namespace, register)
		case got != sa.Type:
			return nil, fmt.Errorf("search attribute %s in namespace %s is %s, want %s", sa.Name, namespace, got, sa.Type)
		}
	}
	return missingOptional, nil
}
