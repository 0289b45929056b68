package experiment

import "strings"

// kubeNarrowing lists the selector fields that narrow a selection.
func (s KubeSelector) narrowing() (names []string, set []bool) {
	return []string{"labelSelector", "fieldSelector", "ownerName", "nodeName", "names"},
		[]bool{s.LabelSelector != "", s.FieldSelector != "", s.OwnerName != "", s.NodeName != "", len(s.Names) > 0}
}

// validate checks a selector of namespaced objects (pods, workloads): it
// needs a namespace and something that narrows the selection, so an empty
// selector never means "everything".
func (s KubeSelector) validate(path string) []FieldError {
	var errs []FieldError
	if s.Namespace == "" {
		errs = append(errs, fieldErr(field(path, "namespace"), "required"))
	} else if !dnsLabel.MatchString(s.Namespace) {
		errs = append(errs, fieldErr(field(path, "namespace"), "%q is not a namespace name", s.Namespace))
	}
	names, set := s.narrowing()
	narrowed := false
	for _, b := range set {
		narrowed = narrowed || b
	}
	if !narrowed {
		errs = append(errs, fieldErr(path, "must set at least one of %s", strings.Join(names, ", ")))
	}
	errs = append(errs, s.validateCommon(path)...)
	return errs
}

// validateCluster checks a selector of cluster-scoped objects (nodes).
func (s KubeSelector) validateCluster(path string) []FieldError {
	var errs []FieldError
	if s.Namespace != "" {
		errs = append(errs, fieldErr(field(path, "namespace"), "nodes are not namespaced"))
	}
	if s.LabelSelector == "" && s.FieldSelector == "" && len(s.Names) == 0 {
		errs = append(errs, fieldErr(path, "must set at least one of labelSelector, fieldSelector, names"))
	}
	if s.OwnerKind != "" || s.OwnerName != "" {
		errs = append(errs, fieldErr(field(path, "ownerName"), "not used for nodes"))
	}
	errs = append(errs, s.validateCommon(path)...)
	return errs
}

// validateRead checks the selector of a read-only check (a k8s probe):
// it may select broadly, but a cluster-scoped resource has no namespace.
func (s KubeSelector) validateRead(path, resource string, clusterScoped bool) []FieldError {
	var errs []FieldError
	if clusterScoped && s.Namespace != "" {
		errs = append(errs, fieldErr(field(path, "namespace"), "%s objects are not namespaced", resource))
	}
	if s.Namespace != "" && !dnsLabel.MatchString(s.Namespace) {
		errs = append(errs, fieldErr(field(path, "namespace"), "%q is not a namespace name", s.Namespace))
	}
	return append(errs, s.validateCommon(path)...)
}

func (s KubeSelector) validateCommon(path string) []FieldError {
	var errs []FieldError
	if (s.OwnerKind == "") != (s.OwnerName == "") {
		errs = append(errs, fieldErr(field(path, "ownerKind"), "ownerKind and ownerName go together"))
	}
	for i, n := range s.Names {
		if n == "" {
			errs = append(errs, fieldErr(index(field(path, "names"), i), "must not be empty"))
		}
	}
	return errs
}
