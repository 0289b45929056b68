package experiment

import "slices"

func (k *K8sProbe) validate(path string) []FieldError {
	var errs []FieldError
	if k.Resource == "" {
		errs = append(errs, fieldErr(field(path, "resource"), "required: a kind such as Pod, Deployment or StatefulSet"))
	}
	clusterScoped := slices.Contains(clusterScopedResources, k.Resource)
	errs = append(errs, k.Selector.validateRead(field(path, "selector"), k.Resource, clusterScoped)...)
	errs = append(errs, requireEnum(field(path, "condition"), k.Condition)...)
	errs = append(errs, validateClusterName(field(path, "cluster"), k.Cluster)...)
	if k.MinReady < 0 {
		errs = append(errs, fieldErr(field(path, "minReady"), "must be >= 0"))
	}
	if k.MinReady > 0 && k.Condition != K8sReady {
		errs = append(errs, fieldErr(field(path, "minReady"), "only used with condition ready"))
	}
	return errs
}
