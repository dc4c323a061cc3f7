package emulator

import "encoding/json"

// errorBody is the standard Lambda error payload.
type errorBody struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace"`
}

func parseErrorBody(body []byte) errorBody {
	var b errorBody
	_ = json.Unmarshal(body, &b) // a body that is not the standard shape has no fields
	return b
}

func errorType(body []byte) string    { return parseErrorBody(body).ErrorType }
func errorMessage(body []byte) string { return parseErrorBody(body).ErrorMessage }
